"""Applying a batch of provider events: each new one is kept, attributed, and has its effect
(a delivery row stamped, a subscriber bounced, complained or unsubscribed), once.

Events are kept after their effects: a crash in between makes SendGrid retry, and every
effect is idempotent, so nothing is lost and nothing doubles. The batch is read in a few
queries (subscribers by id and address, the issues' links), not one per event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from newsletter.domain.events import EmailEvent, Via
from newsletter.domain.subscriber import Subscriber
from newsletter.engagement.events import effect, read_event
from newsletter.engagement.links import LinkMap
from newsletter.store import StoredIssue
from newsletter.subscribers.membership import Subscribers, leave

KEEP_LOOSE_EVENTS = dt.timedelta(days=7)  # SendGrid retries for 24 hours


class EventStore(Subscribers, Protocol):
    """Events kept once, the delivery rows they stamp, and the people and issues they name
    (a leave goes through subscribers/membership.py's rules)."""

    def seen_event_keys(self, keys: Collection[str]) -> set[str]: ...

    def add_events(self, events: Sequence[EmailEvent]) -> None: ...

    def forget_loose_events(self, received_before: dt.datetime) -> int: ...

    def stamp_deliveries(self, stamps: Iterable[tuple[int, int, str, dt.datetime]]) -> None: ...

    def subscribers_by_ids(self, ids: Collection[int]) -> dict[int, Subscriber]: ...

    def subscribers_by_emails(self, email_keys: Collection[str]) -> dict[str, Subscriber]: ...

    def get_issue(self, number: int) -> StoredIssue | None: ...


@dataclass(slots=True)
class EventReport:
    received: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0


def apply_events(
    store: EventStore, events: list[Any], now: dt.datetime, *, base_url: str | None = None
) -> EventReport:
    """Keep and apply each event not seen before; `base_url` tells the site's own links."""
    report = EventReport(received=len(events))
    links = _LinkMaps(store, base_url)
    read = [read_event(raw, now, links) if isinstance(raw, dict) else None for raw in events]
    seen = store.seen_event_keys([event.key for event in read if event is not None])
    fresh: dict[str, EmailEvent] = {}
    for event in read:
        if event is None:
            report.ignored += 1
            continue
        if event.key in seen or event.key in fresh:
            report.duplicates += 1
            continue
        fresh[event.key] = event
    people = _people(store, list(fresh.values()))
    kept = [dataclasses.replace(e, subscriber=_id(people.get(e.key))) for e in fresh.values()]
    applied = _apply(store, kept, people)
    report.applied, report.ignored = applied, report.ignored + len(kept) - applied
    store.add_events(kept)
    store.forget_loose_events(now - KEEP_LOOSE_EVENTS)
    return report


def _apply(store: EventStore, events: list[EmailEvent], people: dict[str, Subscriber]) -> int:
    """Each event's effects; how many had one (a person known, a kind that does something)."""
    stamps, leaving, applied = [], [], 0
    for event in events:
        status, column = effect(event)
        sub = people.get(event.key)
        if sub is None or (status is None and column is None):
            continue
        applied += 1
        if column and event.issue is not None:
            stamps.append((event.issue, sub.id, column, event.occurred_at))
        if status is not None:
            leaving.append((event.occurred_at, sub.id, status, event.issue))
    store.stamp_deliveries(stamps)
    for at, subscriber_id, status, issue in sorted(leaving, key=lambda item: item[0]):
        leave(store, subscriber_id, status, at, via=Via.WEBHOOK, issue=issue)
    return applied


def _people(store: EventStore, events: list[EmailEvent]) -> dict[str, Subscriber]:
    """Each event's subscriber: the one its custom_args name if the address agrees, else the
    one with the address (custom_args are the sender's word, the address the provider's)."""
    by_id = store.subscribers_by_ids([e.subscriber for e in events if e.subscriber is not None])
    by_email = store.subscribers_by_emails([e.email for e in events if e.email])
    found = {}
    for e in events:
        named = by_id.get(e.subscriber) if e.subscriber is not None else None
        if named is not None and (not e.email or named.email_key == e.email):
            found[e.key] = named
        elif e.email in by_email:
            found[e.key] = by_email[e.email]
    return found


def _id(sub: Subscriber | None) -> int | None:
    return None if sub is None else sub.id


class _LinkMaps:
    """Each issue's link map, read once per batch."""

    def __init__(self, store: EventStore, base_url: str | None) -> None:
        self.store, self.base_url = store, base_url
        self.maps: dict[int | None, LinkMap] = {}

    def __call__(self, issue: int | None) -> LinkMap:
        if issue not in self.maps:
            stored = self.store.get_issue(issue) if issue is not None else None
            self.maps[issue] = LinkMap.for_issue(stored.record if stored else None, self.base_url)
        return self.maps[issue]
