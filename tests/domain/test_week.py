"""The editor's week and how an issue names it."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.domain.week import Week

D = dt.date


@pytest.mark.parametrize("day", [D(2024, 11, 25), D(2024, 11, 27), D(2024, 12, 1)])
def test_any_day_inside_gives_its_monday_to_sunday(day: dt.date) -> None:
    """--week takes any date inside the week."""
    assert Week.containing(day) == Week(D(2024, 11, 25), D(2024, 12, 1))


@pytest.mark.parametrize(
    "monday,name",
    [
        (D(2024, 11, 4), "First Week of November 2024"),
        (D(2024, 11, 11), "Second Week of November 2024"),
        (D(2024, 11, 25), "Fourth Week of November 2024"),
        (D(2024, 12, 30), "Fifth Week of December 2024"),
        (D(2024, 4, 1), "First Week of April 2024"),
    ],
)
def test_the_week_is_named_by_its_mondays_ordinal_in_the_month(monday: dt.date, name: str) -> None:
    """ "Fourth Week of November 2024": the ordinal of the week's Monday within its month."""
    assert Week.containing(monday).name == name


def test_the_last_completed_week() -> None:
    """On Monday 2 Dec 2024 the week that just ended is 25 Nov … 1 Dec."""
    assert Week.last_completed(D(2024, 12, 2)) == Week(D(2024, 11, 25), D(2024, 12, 1))
    assert Week.last_completed(D(2024, 12, 4)) == Week(D(2024, 11, 25), D(2024, 12, 1))


def test_days_and_membership() -> None:
    """A week has seven days, and only those are in it."""
    week = Week.containing(D(2024, 11, 25))
    assert len(week.days()) == 7 and week.days()[-1] == D(2024, 12, 1)
    assert D(2024, 12, 1) in week and D(2024, 12, 2) not in week
