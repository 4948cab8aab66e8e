"""Artifacts in the dashboard: the issue's preview, its ranked candidates, the HTML, the send
report, and the engagement report."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.states import State

from newsletter.delivery.send import SendReport
from newsletter.domain.papers import FeedReport
from newsletter.engagement import tables
from newsletter.engagement.steps import ReportPage
from newsletter.weekly import reports
from newsletter.weekly.steps import Draft


def draft(d: Draft) -> None:
    key = f"issue-{d.number}"
    create_markdown_artifact(
        reports.preview_markdown(d),
        key=f"{key}-preview",
        description=f"Issue {d.number}: {d.title}",
    )
    if d.candidates:
        create_table_artifact(
            [c.row() for c in d.candidates],
            key=f"{key}-candidates",
            description=f"Issue {d.number}: the week's candidates, best first",
        )
    if d.html_path:
        create_link_artifact(
            d.html_path.as_uri(),
            link_text=f"issue {d.number} as emailed (HTML)",
            key=f"{key}-html",
            description=str(d.html_path),
        )


def report(r: SendReport, previous: str | None = None) -> None:
    """The send report; under it, a link to the last issue's engagement report."""
    text = reports.report_markdown(r) + (f"\n{previous}\n" if previous else "")
    create_markdown_artifact(
        text,
        key=f"issue-{r.issue_number}-send-report",
        description=f"Issue {r.issue_number}: sent {r.sent}, failed {r.failed}",
    )


def unsent(d: Draft, why: str) -> None:
    create_markdown_artifact(
        reports.unsent_markdown(d, why),
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
        description=f"Issue {e.issue}: {e.unique_opens} opens, {e.unique_clicks} clicks",
    )
