"""issue-report: how the last sent issue did, three days after it went out (Thursdays)."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.states import Completed

from newsletter.engagement import tables

from . import publish
from .notify import tell_editors
from .tasks import fold_events, report, upgrade_store


@flow(name="issue-report", on_failure=[tell_editors], on_crashed=[tell_editors])
def issue_report(issue: int | None = None, weeks: int = 8) -> State[Any]:
    """The engagement report: its tables as artifacts, its page with charts linked; then
    issues sent longer ago than NEWSLETTER_EVENTS_KEEP_DAYS are folded into their totals.

    Args:
        issue: The issue's number (default: the latest sent issue).
        weeks: Weeks of list growth to show.
    """
    upgrade_store()
    page = report(issue, weeks)
    if page is None:
        return Completed(message="no issue has been sent yet: nothing to report")
    publish.engagement(page)
    folded = fold_events()
    e = page.report.engagement
    if not e.tracked:  # sent through SMTP or the outbox: no provider tells who opened
        return Completed(message=f"issue {e.issue}: {tables.headline(e)}; {folded}")
    return Completed(
        message=f"issue {e.issue}: {e.delivered} delivered, {e.unique_opens} opened "
        f"({e.open_rate:.1%}), {e.unique_clicks} clicked ({e.click_rate:.1%}); {folded}"
    )
