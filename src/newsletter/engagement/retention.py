"""Retention: an issue's raw events, once it is older than the keeping age, are folded into
its totals (the whole report, as JSON) and dropped, so the store does not grow without
bound and the report of an old issue still reads the same."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from newsletter.engagement.ingest import KEEP_LOOSE_EVENTS
from newsletter.engagement.report import EngagementStore, issue_engagement
from newsletter.store import StoredIssue


class Folding(EngagementStore, Protocol):
    """Which issues are old enough, their totals kept and raw events dropped."""

    def issues_to_fold(self, sent_before: dt.datetime) -> list[int]: ...

    def get_issue(self, number: int) -> StoredIssue | None: ...

    def fold_issue(self, issue_number: int, totals: dict[str, Any]) -> int: ...

    def forget_loose_events(self, received_before: dt.datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class Folded:
    issues: list[int] = field(default_factory=list)
    events: int = 0  # raw events dropped

    @property
    def message(self) -> str:
        if not self.issues:
            return "no issue old enough to fold"
        numbers = ", ".join(str(n) for n in self.issues)
        return f"folded {self.events} events of issue(s) {numbers} into their totals"


def fold_old_events(store: Folding, keep: dt.timedelta, now: dt.datetime) -> Folded:
    """Fold every sent issue older than `keep`; events of no issue go after a week."""
    if keep < KEEP_LOOSE_EVENTS:
        raise ValueError(f"events are kept at least {KEEP_LOOSE_EVENTS.days} days")
    folded, events = [], 0
    for number in store.issues_to_fold(now - keep):
        issue = store.get_issue(number)
        assert issue is not None
        events += store.fold_issue(number, issue_engagement(store, issue).to_json())
        folded.append(number)
    events += store.forget_loose_events(now - KEEP_LOOSE_EVENTS)
    return Folded(folded, events)
