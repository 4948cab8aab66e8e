"""The one "find the issue or fail": by number, by week, or the latest sent, each failure
saying what is missing and what to do, and none of them worth a retry."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.domain.week import Week
from newsletter.errors import IssueError
from newsletter.issue.lookup import find_issue
from newsletter.store import Store
from tests.support.deliveries import add_issue
from tests.support.stores import migrated

WEEK = dt.date(2024, 11, 25)


def test_an_issue_is_found_by_number_by_week_and_as_the_latest_sent(tmp_path: object) -> None:
    with migrated(f"sqlite:///{tmp_path}/s.db") as store:
        add_issue(store, 1, WEEK)
        add_issue(store, 2, WEEK + dt.timedelta(days=7))
        assert find_issue(store, number=2).week_start == WEEK + dt.timedelta(days=7)
        assert find_issue(store, week=Week.containing(WEEK + dt.timedelta(days=3))).number == 1
        _sent(store, 1)
        assert find_issue(store).number == 1  # neither: the latest sent
        assert find_issue(store, number=1, sent=True).number == 1


@pytest.mark.parametrize(
    ("ask", "message", "hint"),
    [
        ({"number": 7}, "there is no issue 7", "newsletter build --week DATE"),
        ({"number": 7, "sent": True}, "there is no issue 7", "reports cover sent issues"),
        (
            {"week": Week.containing(dt.date(2025, 1, 8))},
            "no issue for the week of 2025-01-06",
            "newsletter build --week 2025-01-06",
        ),
        ({"sent": True}, "no issue has been sent yet", "leave out --issue"),
        ({"number": 1, "sent": True}, "issue 1 has not been sent", "send it first"),
    ],
)
def test_a_missing_issue_says_what_to_do_and_is_not_retried(
    tmp_path: object, ask: dict[str, object], message: str, hint: str
) -> None:
    with migrated(f"sqlite:///{tmp_path}/s.db") as store:
        add_issue(store, 1, WEEK)
        with pytest.raises(IssueError, match=message) as caught:
            find_issue(store, **ask)  # type: ignore[arg-type]
    assert hint in caught.value.hint and not caught.value.retryable


def _sent(store: Store, number: int) -> None:
    """Sent to a list of nobody: it moves straight from draft to sent."""
    store.enqueue(number)
    assert store.finish_issue(number)
