"""List growth per ISO week (Monday to Sunday, UTC), from the list's joins and leaves: who
became active, who left and why, and how many were on the list at each week's end."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsletter.domain.events import ListChange
from newsletter.domain.week import Week


@dataclass(frozen=True, slots=True)
class GrowthWeek:
    week: Week
    joins: int
    left: dict[str, int] = field(default_factory=dict)  # by reason: unsubscribed, bounced …
    size: int = 0  # active at the week's end (or now, for the current week)

    @property
    def leaves(self) -> int:
        return sum(self.left.values())

    @property
    def net(self) -> int:
        return self.joins - self.leaves

    @property
    def label(self) -> str:
        year, number, _ = self.week.start.isocalendar()
        return f"{year}-W{number:02d}"


def last_weeks(now: dt.datetime, weeks: int) -> list[Week]:
    """The `weeks` ISO weeks up to the one holding `now`, oldest first."""
    current = Week.containing(now.astimezone(dt.UTC).date())
    count = max(weeks, 1)
    return [
        Week.containing(current.start - dt.timedelta(weeks=count - 1 - n)) for n in range(count)
    ]


def week_start(week: Week) -> dt.datetime:
    return dt.datetime.combine(week.start, dt.time(), dt.UTC)


def growth(
    changes: Sequence[ListChange], active_now: int, weeks: Sequence[Week]
) -> list[GrowthWeek]:
    """Each week's joins, leaves by reason, and list size at its end. `changes` must hold
    every change from the first week's start until now: the sizes are counted back from
    `active_now`, so they hold even where the history before is incomplete."""
    found = []
    for week in weeks:
        start, end = week_start(week), week_start(week) + dt.timedelta(weeks=1)
        inside = [c for c in changes if start <= c.at < end]
        after = [c for c in changes if c.at >= end]
        size = (
            active_now - sum(1 for c in after if c.joined) + sum(1 for c in after if not c.joined)
        )
        left = Counter(c.reason for c in inside if not c.joined)
        found.append(GrowthWeek(week, sum(1 for c in inside if c.joined), dict(left), size))
    return found
