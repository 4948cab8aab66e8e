"""The editor's week: Monday to Sunday by listing date, and how the issue names it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth")


@dataclass(frozen=True, slots=True)
class Week:
    start: dt.date  # Monday
    end: dt.date  # Sunday

    @classmethod
    def containing(cls, day: dt.date) -> Week:
        monday = day - dt.timedelta(days=day.weekday())
        return cls(monday, monday + dt.timedelta(days=6))

    @classmethod
    def last_completed(cls, today: dt.date) -> Week:
        """The week that ended most recently (on a Monday: the seven days before)."""
        return cls.containing(today - dt.timedelta(days=7))

    @property
    def name(self) -> str:
        """ "Fourth Week of November 2024": the ordinal of its Monday within the month."""
        ordinal = ORDINALS[(self.start.day - 1) // 7]
        return f"{ordinal} Week of {self.start:%B %Y}"

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range(7)]

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end
