"""The report as tables: rows of plain values for the terminal, Prefect's table artifacts
and Markdown. (The charts are page.py's.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from newsletter.domain.subject_test import label
from newsletter.engagement.report import HOURS, IssueEngagement, Report
from newsletter.engagement.subject_test import SubjectTestReport

BLOCK = 6  # hours per row of the over-time table


NOT_KNOWN = "not known: needs SendGrid's Event Webhook"
UNKNOWN = "not known"  # a cell only the provider's events could fill
# The tables made only of what the provider's events tell.
FROM_EVENTS = ("papers", "sections", "promos", "hours")
VOTED = ("papers", "sections")  # their votes are known whatever the backend
CLICKS = ("clicks", "of delivered")


def summary(e: IssueEngagement) -> list[dict[str, Any]]:
    """The headline numbers, each with what it is a share of. Those only the provider's events
    tell are None (shown "–"), with why, when no provider reports on the issue."""
    ways = ", ".join(f"{n} {how}" for how, n in sorted(e.unsubscribed_by.items()))
    via = ", ".join(f"{n:,} via {backend}" for backend, n in sorted(e.sent_by.items()))
    known = [("audience at send", e.audience, ""), ("sent", e.sent, via)]
    told = [
        ("delivered", e.delivered, _share(e.delivered, e.sent, "of sent")),
        ("bounced (hard)", e.bounced, _share(e.bounced, e.sent, "of sent")),
        ("bounced (soft)", e.soft_bounced, ""),
        ("dropped", e.dropped, ""),
        ("complained (spam)", e.complained, _share(e.complained, e.delivered, "of delivered")),
        ("unsubscribed", e.unsubscribed, ways),  # known: our links and the CLI record it
        ("unique opens", e.unique_opens, _share(e.unique_opens, e.delivered, "of delivered")),
        ("machine opens only", e.machine_opens, "Apple Mail Privacy Protection"),
        ("unique clicks", e.unique_clicks, _share(e.unique_clicks, e.delivered, "of delivered")),
        ("view in browser clicks", e.view_clicks, ""),
        ("unsubscribe link clicks", e.unsubscribe_clicks, ""),
        ("votes: useful", e.votes.up, "one per reader and paper"),
        ("votes: not for me", e.votes.down, "one per reader and paper"),
    ]
    rows: list[tuple[str, int | None, str]] = [*known, *told]
    if not e.tracked:
        rows = known + [
            (m, n, note) if m == "unsubscribed" else (m, None, NOT_KNOWN) for m, n, note in told
        ]
    return [{"measure": m, "subscribers": n, "note": note} for m, n, note in rows]


def papers(e: IssueEngagement) -> list[dict[str, Any]]:
    return [
        {
            "paper": p.number,
            "title": p.title,
            "section": p.section,
            "clicks": p.clicks,
            "of delivered": _percent(p.clicks, e.delivered),
            "useful": p.up,
            "not for me": p.down,
        }
        for p in e.papers
    ]


def sections(e: IssueEngagement) -> list[dict[str, Any]]:
    """Clicks per section, most clicked first, with the votes on its papers beside them."""
    rows = counted(e.clicks_by_section, "section", e)
    for row in rows:
        votes = e.votes_by_section.get(row["section"], {})
        row["useful"], row["not for me"] = votes.get("up", 0), votes.get("down", 0)
    return rows


def counted(values: dict[str, int], name: str, e: IssueEngagement) -> list[dict[str, Any]]:
    ranked = sorted(values.items(), key=lambda item: -item[1])
    return [{name: key, "clicks": n, "of delivered": _percent(n, e.delivered)} for key, n in ranked]


def over_time(e: IssueEngagement) -> list[dict[str, Any]]:
    """First opens and clicks in blocks of BLOCK hours after sending."""
    return [
        {
            "hours": f"{start}-{start + BLOCK}",
            "first opens": sum(e.opens_by_hour[start : start + BLOCK]),
            "first clicks": sum(e.clicks_by_hour[start : start + BLOCK]),
        }
        for start in range(0, HOURS, BLOCK)
    ]


def subjects(test: SubjectTestReport, known: bool = True) -> list[dict[str, Any]]:
    """A subject test's sample, subject by subject; the winner marked. Opens and clicks are
    "not known" (not 0) when no provider reports on the issue."""
    return [
        {
            "subject": f"{label(k)}: {v.subject}",
            "sent": v.sent,
            "unique opens": v.unique_opens if known else UNKNOWN,
            "unique clicks": v.unique_clicks if known else UNKNOWN,
            f"{test.metric[:-1]} rate": _percent(
                v.unique_opens if test.metric == "opens" else v.unique_clicks, v.sent
            )
            if known
            else UNKNOWN,
            "winner": "yes" if v.subject == test.winner else "",
        }
        for k, v in enumerate(test.variants)
    ]


def growth(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "week": w.label,
            "from": w.week.start.isoformat(),
            "confirmed": w.joins,
            "left": w.leaves,
            "why": ", ".join(f"{n} {why}" for why, n in sorted(w.left.items())),
            "net": w.net,
            "list size": w.size,
        }
        for w in report.growth
    ]


def tables(report: Report) -> dict[str, list[dict[str, Any]]]:
    """Every table of the report, by a short key (Prefect artifact keys are made of these);
    when no provider reports on the issue, those made of its events are empty, and the papers
    and sections show their votes without clicks."""
    e = report.engagement
    tested = {"subjects": subjects(e.subject_test, e.tracked)} if e.subject_test else {}
    found = {
        "summary": summary(e),
        **tested,
        "papers": papers(e),
        "sections": sections(e),
        "promos": counted(e.clicks_by_promo, "promo", e),
        "hours": over_time(e),
        "growth": growth(report),
    }
    if not e.tracked:  # clicks unknown; the readers' votes come through our own links: known
        found.update({key: [] for key in FROM_EVENTS if key not in VOTED})
        for key in VOTED:
            found[key] = [{k: v for k, v in row.items() if k not in CLICKS} for row in found[key]]
    return found


def headline(e: IssueEngagement) -> str:
    """One line: how many opened and clicked, or why nobody can know."""
    if not e.tracked:
        backends = " and ".join(sorted(e.sent_by)) or "no provider"
        return f"sent to {e.sent:,} via {backends}: opens and clicks not known"
    return f"{e.unique_opens:,} opens, {e.unique_clicks:,} clicks"


def _empty(key: str, e: IssueEngagement) -> str:
    return "(not known)" if key in FROM_EVENTS and not e.tracked else "(none)"


TITLES = {
    "summary": "Audience and engagement",
    "subjects": "Subject-line test (the sample)",
    "papers": "Clicks and votes per paper",
    "sections": "Clicks and votes per section",
    "promos": "Clicks per promo",
    "hours": "First opens and clicks after sending (hours)",
    "growth": "List growth",
}


def report_text(report: Report) -> str:
    """The report for a terminal: a heading, then each table with aligned columns."""
    e = report.engagement
    sent = f", sent {e.sent_at:%Y-%m-%d %H:%M} UTC" if e.sent_at else ""
    folded = " (from its folded totals)" if e.folded else ""
    parts = [f"Issue {e.issue}: {e.title}{sent}{folded}"]
    if e.untracked:
        parts.append(e.untracked)
    for key, rows in tables(report).items():
        parts.append(f"\n{TITLES[key]}\n{aligned(rows) if rows else '  ' + _empty(key, e)}")
        if key == "subjects" and e.subject_test:
            parts.append(f"  {decision_line(e.subject_test)}")
    return "\n".join(parts)


def decision_line(test: SubjectTestReport) -> str:
    """What decided the test (or where it stands), in one line."""
    if test.rule is None:
        return f"Not decided yet: {test.summary}."
    return f"Decision ({test.rule}): {test.summary}."


def report_markdown(report: Report, link: str | None = None) -> str:
    """The report as Markdown (the dashboard's artifact), with a link to the page."""
    e = report.engagement
    head = f"### Issue {e.issue}: {e.title}\n"
    if link:
        head += f"\n[The report page, with charts]({link})\n"
    if e.untracked:
        head += f"\n{e.untracked}\n"
    body = [
        f"\n**{TITLES[key]}**\n\n{markdown_table(rows) if rows else _empty(key, e) + chr(10)}"
        for key, rows in tables(report).items()
    ]
    if e.subject_test:
        body.insert(2, f"\n{_md(decision_line(e.subject_test))}\n")
    return head + "".join(body)


def aligned(rows: Sequence[dict[str, Any]]) -> str:
    headers = list(rows[0])
    cells = [headers] + [[_cell(row[h]) for h in headers] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    headers = list(rows[0])
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(_md(row[h]) for h in headers) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _md(value: Any) -> str:
    """A table cell of stranger's text (paper titles): no pipe, no markup, no newline."""
    text = _cell(value).replace("\n", " ")
    for char in "\\|*_`[]<>#":
        text = text.replace(char, "\\" + char)
    return text


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _percent(n: int, of: int) -> str:
    return f"{n / of:.1%}" if of else "-"


def _share(n: int, of: int, what: str) -> str:
    return f"{_percent(n, of)} {what}" if of else ""
