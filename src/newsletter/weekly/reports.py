"""What the dashboard shows of the weekly run: plain Markdown, so any scheduler can publish it."""

from __future__ import annotations

from newsletter.delivery.send import SendReport
from newsletter.weekly.steps import Draft


def preview_markdown(draft: Draft) -> str:
    """The issue as it will read, under a line saying what it is and who would get it."""
    state = f" ({draft.locked}: it is no longer rebuilt)" if draft.locked else " (draft)"
    head = (
        f"**Issue {draft.number}{state}**, week of {draft.week_start}: {len(draft.picks)} papers, "
        f"{len(draft.candidates)} candidates; {draft.audience} subscribers still to receive it."
    )
    return f"{head}\n\n---\n\n{draft.markdown}"


def approval_question(draft: Draft, note: str = "") -> str:
    """What the editor reads above the approval form: the picks, with the ids to remove."""
    lines = [f"### Send issue {draft.number} «{draft.title}» to {draft.audience} subscribers?", ""]
    if note:
        lines += [f"**{note}**", ""]
    lines += [f"- {p.number} `{p.arxiv_id}` {p.title} ({p.section})" for p in draft.picks]
    lines += [
        "",
        '*approve*: send it now. *add* / *remove*: arXiv ids; *move*: "2412.01234 to '
        'LLM Reasoning"; the issue is rebuilt and shown again (with *approve* it is sent at '
        "once), and the models learn from every edit. Neither: it is not sent.",
    ]
    return "\n".join(lines)


def report_markdown(report: SendReport) -> str:
    rows = [
        ("issue", str(report.issue_number)),
        ("backend", report.backend),
        ("sent", str(report.sent)),
        ("failed", str(report.failed)),
        ("skipped", str(report.skipped)),
        ("rate", f"{report.rate:,.0f} per second"),
        ("time", f"{report.seconds:.1f} s"),
        ("requests", str(report.requests)),
    ]
    rows += [
        (label, str(n))
        for label, n in (
            ("requeued after an interrupted send", report.recovered),
            ("unknown (may have gone out, not resent)", report.unknown),
            ("still queued (run again)", report.left),
        )
        if n
    ]
    table = "\n".join(f"| {label} | {value} |" for label, value in rows)
    return f"### Send report, issue {report.issue_number}\n\n| | |\n| --- | --- |\n{table}\n"


def unsent_markdown(draft: Draft, why: str) -> str:
    return f"### Issue {draft.number} was not sent\n\n{why}\n"
