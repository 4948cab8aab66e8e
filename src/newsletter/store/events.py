"""Queries for the web endpoints: SendGrid events seen, delivery event times, the archive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Engine, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.store.schema import deliveries, issues, webhook_events

# What a SendGrid event can say about one delivery: the column that keeps its first time.
DELIVERY_EVENT_COLUMNS = frozenset({"delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at"})
IDS_PER_QUERY = 500  # well under every backend's bound-parameter limit
# Issues that went out to someone: their page is public ("view in browser" links work
# while a long send is still going); the list and the feed show finished ones only.
OUT = ("sending", "sent")


class SeenEvent(NamedTuple):
    sg_event_id: str
    event: str
    occurred_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """A sent issue as the archive and the feed list it (no rendered bodies)."""

    number: int
    title: str
    week_start: dt.date
    sent_at: dt.datetime | None
    data: dict[str, Any]


class EventQueries:
    """Mixed into Store: webhook dedupe, delivery events, the public archive."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def seen_events(self, event_ids: Collection[str]) -> set[str]:
        """Which of these SendGrid event ids were already applied."""
        wanted = sorted(set(event_ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), IDS_PER_QUERY):
                chunk = wanted[start:start + IDS_PER_QUERY]
                query = select(webhook_events.c.sg_event_id).where(webhook_events.c.sg_event_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def remember_events(self, events: Sequence[SeenEvent]) -> None:
        """Record events as applied; one already recorded (a concurrent retry) is left alone."""
        if not events:
            return
        now = self.clock()
        rows = [{"sg_event_id": e.sg_event_id, "event": e.event, "occurred_at": e.occurred_at,
                 "received_at": now} for e in events]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(webhook_events).on_conflict_do_nothing(index_elements=["sg_event_id"])
        with self.engine.begin() as conn:
            conn.execute(statement, rows)

    def forget_events(self, before: dt.datetime) -> int:
        """Drop event ids received before `before` (SendGrid stops retrying after 24 hours)."""
        with self.engine.begin() as conn:
            done = conn.execute(delete(webhook_events).where(webhook_events.c.received_at < before))
        return int(done.rowcount or 0)

    def record_delivery_event(self, issue_number: int, subscriber_id: int, column: str, at: dt.datetime) -> bool:
        """Keep the earliest time of `column` on the delivery row; False if there is no such row.

        Events arrive out of order and more than once: taking the earliest makes any order
        and any repetition end in the same row.
        """
        if column not in DELIVERY_EVENT_COLUMNS:
            raise ValueError(f"not a delivery event column: {column}")
        target = deliveries.c[column]
        when = literal(at, type_=target.type)  # the column's type: stored as UTC on every backend
        earliest = case((target.is_(None), when), (target > when, when), else_=target)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(deliveries)
                .where(deliveries.c.issue_number == issue_number, deliveries.c.subscriber_id == subscriber_id)
                .values({column: earliest})
            )
        return bool(done.rowcount)

    def delivery_events(self, issue_number: int, subscriber_id: int) -> dict[str, dt.datetime | None]:
        """The event times of one delivery (empty if there is no such delivery)."""
        columns = [deliveries.c[name] for name in sorted(DELIVERY_EVENT_COLUMNS)]
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(
                deliveries.c.issue_number == issue_number, deliveries.c.subscriber_id == subscriber_id)).first()
        return dict(row._mapping) if row else {}

    def sent_issues(self) -> list[ArchiveEntry]:
        """Every issue whose send finished, newest first."""
        query = (
            select(issues.c.number, issues.c.title, issues.c.week_start, issues.c.sent_at, issues.c.data)
            .where(issues.c.status == "sent")
            .order_by(issues.c.week_start.desc(), issues.c.number.desc())
        )
        with self.engine.connect() as conn:
            return [ArchiveEntry(r.number, r.title, r.week_start, r.sent_at, dict(r.data or {}))
                    for r in conn.execute(query).all()]

    def published_issue_html(self, number: int) -> str | None:
        """The stored HTML of an issue that went out to someone; None for drafts and unknown numbers."""
        query = select(issues.c.html).where(issues.c.number == number, issues.c.status.in_(OUT))
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return str(found) if found is not None else None
