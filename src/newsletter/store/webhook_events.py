"""Queries on SendGrid webhook events: which were applied already (SendGrid retries for a day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from typing import NamedTuple

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.store.schema import webhook_events

IDS_PER_QUERY = 500  # well under every backend's bound-parameter limit


class SeenEvent(NamedTuple):
    sg_event_id: str
    event: str
    occurred_at: dt.datetime | None


class WebhookEventQueries:
    """Mixed into Store: webhook dedupe."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def seen_events(self, event_ids: Collection[str]) -> set[str]:
        """Which of these SendGrid event ids were already applied."""
        wanted = sorted(set(event_ids))
        found: set[str] = set()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), IDS_PER_QUERY):
                chunk = wanted[start : start + IDS_PER_QUERY]
                query = select(webhook_events.c.sg_event_id).where(
                    webhook_events.c.sg_event_id.in_(chunk)
                )
                found.update(conn.execute(query).scalars())
        return found

    def remember_events(self, events: Sequence[SeenEvent]) -> None:
        """Record events as applied; one already recorded (a concurrent retry) is left alone."""
        if not events:
            return
        now = self.clock()
        rows = [
            {
                "sg_event_id": e.sg_event_id,
                "event": e.event,
                "occurred_at": e.occurred_at,
                "received_at": now,
            }
            for e in events
        ]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(webhook_events).on_conflict_do_nothing(
            index_elements=["sg_event_id"]
        )
        with self.engine.begin() as conn:
            conn.execute(statement, rows)

    def forget_events(self, before: dt.datetime) -> int:
        """Drop event ids received before `before` (SendGrid stops retrying after 24 hours)."""
        with self.engine.begin() as conn:
            done = conn.execute(delete(webhook_events).where(webhook_events.c.received_at < before))
        return int(done.rowcount or 0)
