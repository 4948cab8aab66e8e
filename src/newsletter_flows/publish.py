"""Artifacts in the dashboard: the issue's preview, its ranked candidates, the HTML, the send
report, and the engagement report; each in plain Markdown or a table."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State

from newsletter.domain.papers import FeedReport
from newsletter.engagement import tables
from newsletter.services.build import Draft
from newsletter.services.report import ReportPage
from newsletter.services.send import SendReport
from newsletter.services.subject_test import State as SubjectTestState


def draft(d: Draft) -> None:
    """One round's preview: the issue as it reads, what changed since the last proof, each
    editor's review link (a link any browser opens, never a path on this server), and the
    ranked candidates."""
    key = f"issue-{d.number}"
    create_markdown_artifact(
        preview_markdown(d),
        key=f"{key}-preview",
        description=f"Issue {d.number}, version {d.version}: {d.title}",
    )
    if d.candidates:
        create_table_artifact(
            [c.row() for c in d.candidates],
            key=f"{key}-candidates",
            description=f"Issue {d.number}: the week's candidates, best first",
        )
    for who, url in d.links[:1]:  # one link artifact per round; the preview names them all
        create_link_artifact(
            url,
            link_text=f"review issue {d.number} (version {d.version}) and approve it",
            key=f"{key}-review",
            description=f"The review page, signed for {who}",
        )


def report(r: SendReport, previous: str | None = None) -> None:
    """The send report; under it, a link to the last issue's engagement report."""
    text = report_markdown(r) + (f"\n{previous}\n" if previous else "")
    create_markdown_artifact(
        text,
        key=f"issue-{r.issue_number}-send-report",
        description=f"Issue {r.issue_number}: sent {r.sent}, failed {r.failed}",
    )


def subject_test(state: SubjectTestState) -> None:
    """The subject test's sample, subject by subject, and its decision or when it comes."""
    test = state.report
    if state.test is None or test is None:
        return
    number = state.test.issue_number
    text = (
        f"### Subject-line test, issue {number} (on {test.metric})\n\n"
        f"{tables.markdown_table(tables.subjects(test))}\n{tables.decision_line(test)}\n"
    )
    create_markdown_artifact(
        text,
        key=f"issue-{number}-subject-test",
        description=f"Issue {number}: {test.winner_label or 'no'} winner; {test.sample} in the sample",
    )


def unsent(d: Draft, why: str) -> None:
    create_markdown_artifact(
        unsent_markdown(d, why),
        key=f"issue-{d.number}-send-report",
        description=f"Issue {d.number}: not sent",
    )


def feeds(states: dict[str, State[Any]]) -> None:
    rows = []
    for name, state in states.items():
        got = state.result(raise_on_failure=False) if state.is_completed() else None
        if not isinstance(got, FeedReport):  # the task failed: a row of zeros and why
            got = FeedReport(name, error=state.message or state.name)
        rows.append(
            {
                "feed": name,
                "fetched": got.fetched,
                "new": got.new,
                "updated": got.updated,
                "unchanged": got.unchanged,
                "skipped": got.skipped,
                "repaired": got.repaired,
                "error": got.error or "",
                # the first entries skipped or repaired, each named: what to look at
                "problems": "; ".join(got.problems[:3]),
            }
        )
    create_table_artifact(rows, key="ingest-report", description="What each feed gave in this run")


def engagement(page: ReportPage) -> None:
    """The report's tables, each an artifact, and the page with its charts, linked."""
    e = page.report.engagement
    key = f"issue-{e.issue}-report"
    for name, rows in tables.tables(page.report).items():
        if rows:
            create_table_artifact(
                rows, key=f"{key}-{name}", description=f"Issue {e.issue}: {tables.TITLES[name]}"
            )
    create_link_artifact(
        page.where,
        link_text=f"issue {e.issue}: the report page, with charts",
        key=f"{key}-page",
        description=str(page.path),
    )
    create_markdown_artifact(
        tables.report_markdown(page.report, page.where),
        key=key,
        description=f"Issue {e.issue}: {tables.headline(e)}",
    )


def preview_markdown(draft: Draft) -> str:
    """The issue as it will read, under lines saying what it is, who would get it, what
    changed since the last proof, and where to review it."""
    state = f" ({draft.locked}: it is no longer rebuilt)" if draft.locked else f" ({draft.status})"
    lines = [
        f"**Issue {draft.number}{state}**, version {draft.version}, week of {draft.week_start}: "
        f"{len(draft.picks)} papers, {len(draft.candidates)} candidates; {draft.audience} "
        "subscribers still to receive it."
    ]
    if draft.since:
        lines += ["", "Changed since the last proof:", *(f"- {c}" for c in draft.since.lines())]
    if draft.links:
        lines += ["", *(f"Review it: [{who}]({url})" for who, url in draft.links)]
    return "\n".join(lines) + f"\n\n---\n\n{draft.markdown}"


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
