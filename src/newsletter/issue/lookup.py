"""Finding a stored issue, or saying plainly why there is none: the one lookup behind sending,
proofing, learning from and reporting on an issue, by number, by week, or the latest sent."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from newsletter.domain.delivery import DeliveryStatus
from newsletter.domain.week import Week
from newsletter.errors import IssueError
from newsletter.store import StoredIssue

REPORT_HINT = "reports cover sent issues: leave out --issue for the latest one"


class IssueLookup(Protocol):
    """The issues by number and by week, and which ones went out."""

    def get_issue(self, number: int) -> StoredIssue | None: ...

    def issue_for_week(self, week_start: dt.date) -> StoredIssue | None: ...

    def sent_issue_numbers(self) -> list[int]: ...

    def delivery_counts(self, issue_number: int) -> dict[DeliveryStatus, int]: ...


def find_issue(
    store: IssueLookup,
    *,
    number: int | None = None,
    week: Week | None = None,
    sent: bool = False,
) -> StoredIssue:
    """Issue `number`, or the issue of `week`; with neither, the latest sent one.

    `sent`: it must have started going out (a report is of what readers got). IssueError
    says which issue is missing and what to do.
    """
    if number is not None and week is not None:
        raise ValueError("ask for an issue by number or by week, not both")
    if week is not None:
        issue = store.issue_for_week(week.start)
        if issue is None:
            raise IssueError(
                f"no issue for the week of {week.start}",
                issue=None,
                hint=f"build it: newsletter build --week {week.start}",
            )
    else:
        if number is None:
            numbers = store.sent_issue_numbers()
            if not numbers:
                raise IssueError("no issue has been sent yet", issue=None, hint=REPORT_HINT)
            number = numbers[0]
        issue = store.get_issue(number)
        if issue is None:
            raise IssueError(
                f"there is no issue {number}", issue=number, hint=REPORT_HINT if sent else None
            )
    if sent and issue.sent_at is None and not store.delivery_counts(issue.number):
        raise IssueError(
            f"issue {issue.number} has not been sent",
            issue=issue.number,
            hint="send it first (newsletter send), or leave out --issue for the latest sent one",
        )
    return issue
