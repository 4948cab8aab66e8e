"""Queries on subscribers: every SQL statement about the people on the list.

The rules (who may be re-activated, what an import changes) live in subscribers/membership.py
and subscribers/import_csv.py, and which change is a join or a leave in
domain/subscriber.py; this module only reads and writes rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from newsletter.domain.events import Via
from newsletter.domain.subscriber import (
    Changes,
    Status,
    Subscriber,
    SubscriberData,
    erasure,
    list_change,
)
from newsletter.errors import SubscriberError
from newsletter.store.events import record_list_change, record_list_changes
from newsletter.store.schema import (
    deliveries,
    email_events,
    list_changes,
    subscribers,
    votes,
    welcomes,
)

__all__ = ["SubscriberQueries"]

KEYS_PER_QUERY = 1000  # well under every backend's bound-parameter limit


class SubscriberQueries:
    """Mixed into Store: everything about subscribers."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def insert_subscriber(self, data: SubscriberData, *, via: Via = Via.OTHER) -> Subscriber:
        """Store a new subscriber; SubscriberError if the address is already there."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(insert(subscribers).values(_row(data)))
                new_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
                assert new_id is not None
                _note_change(conn, int(new_id), None, data, via)
        except IntegrityError:  # the unique email_key: someone added them a moment ago
            raise SubscriberError(
                f"{data.email} is already on the list", email=data.email
            ) from None
        return Subscriber(id=int(new_id), **_fields(data))

    def update_subscriber(
        self, sub: Subscriber, *, via: Via = Via.OTHER, issue: int | None = None
    ) -> None:
        """Write every field of a stored subscriber back; a join or leave is kept in the
        list's history (a leave with the issue that caused it, else their last one)."""
        with self.engine.begin() as conn:
            before = conn.execute(
                select(subscribers.c.status).where(subscribers.c.id == sub.id)
            ).scalar_one_or_none()
            conn.execute(update(subscribers).where(subscribers.c.id == sub.id).values(_row(sub)))
            if before is not None:
                _note_change(conn, sub.id, Status(before), sub, via, issue)

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(subscribers).where(subscribers.c.id == subscriber_id)).first()
        return _subscriber(row) if row else None

    def subscriber_by_email(self, email_key: str) -> Subscriber | None:
        """The subscriber whose lowercased address is `email_key`."""
        with self.engine.connect() as conn:
            found = _by_keys(conn, [email_key])
        return found.get(email_key)

    def subscribers_by_ids(self, ids: Collection[int]) -> dict[int, Subscriber]:
        wanted = sorted(set(ids))
        found: dict[int, Subscriber] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                chunk = wanted[start : start + KEYS_PER_QUERY]
                for row in conn.execute(select(subscribers).where(subscribers.c.id.in_(chunk))):
                    found[row.id] = _subscriber(row)
        return found

    def subscribers_by_emails(self, email_keys: Collection[str]) -> dict[str, Subscriber]:
        """The subscribers whose lowercased addresses are among `email_keys`."""
        with self.engine.connect() as conn:
            return _by_keys(conn, sorted(set(email_keys)))

    def delete_subscriber(self, subscriber_id: int, *, via: Via = Via.CLI) -> int | None:
        """Erase a subscriber and their deliveries; how many deliveries went, None if no such id.

        Their events, votes and list history stay under the id negated: it names no row any
        more (ids are positive), yet the past's unique counts hold. Their welcome mail's row
        goes with their deliveries."""
        with self.engine.begin() as conn:
            status = conn.execute(
                select(subscribers.c.status).where(subscribers.c.id == subscriber_id)
            ).scalar_one_or_none()
            left = erasure(subscriber_id, Status(status), via, self.clock()) if status else None
            if left:
                record_list_change(conn, left)
            for table in (list_changes, email_events, votes):
                conn.execute(
                    update(table)
                    .where(table.c.subscriber_id == subscriber_id)
                    .values(subscriber_id=-subscriber_id)
                )
            # The foreign key cascades, but erasure must not depend on PRAGMA foreign_keys
            # being on for whichever connection does it: delete the deliveries explicitly.
            erased = conn.execute(
                delete(deliveries).where(deliveries.c.subscriber_id == subscriber_id)
            )
            conn.execute(delete(welcomes).where(welcomes.c.subscriber_id == subscriber_id))
            gone = conn.execute(delete(subscribers).where(subscribers.c.id == subscriber_id))
        return int(erased.rowcount) if gone.rowcount else None

    def find_subscribers(
        self,
        *,
        status: Status | None = None,
        search: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Subscriber]:
        """Subscribers with id > `after_id`, by id: one keyset page, optionally filtered."""
        query = select(subscribers).where(subscribers.c.id > after_id)
        if status is not None:
            query = query.where(subscribers.c.status == status.value)
        if search:
            needle = search.lower()
            query = query.where(
                or_(
                    subscribers.c.email_key.contains(needle, autoescape=True),
                    # lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not
                    func.lower(subscribers.c.name).contains(needle, autoescape=True),
                )
            )
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(subscribers.c.id).limit(limit)).all()
        return [_subscriber(row) for row in rows]

    def count_subscribers_by_status(self) -> dict[str, int]:
        query = select(subscribers.c.status, func.count()).group_by(subscribers.c.status)
        with self.engine.connect() as conn:
            return {status: int(n) for status, n in conn.execute(query).all()}

    def subscriber_event_times(
        self, since: dt.datetime
    ) -> tuple[list[dt.datetime], list[dt.datetime]]:
        """When subscribers became active, and when they left, from `since` on."""
        confirmed, left = subscribers.c.confirmed_at, subscribers.c.unsubscribed_at
        with self.engine.connect() as conn:
            joins = conn.execute(select(confirmed).where(confirmed >= since)).scalars().all()
            leaves = conn.execute(select(left).where(left >= since)).scalars().all()
        return list(joins), list(leaves)

    def merge_subscribers(
        self,
        keys: Collection[str],
        plan: Callable[[Mapping[str, Subscriber]], Changes],
        *,
        via: Via = Via.IMPORT,
    ) -> None:
        """In one transaction: load the subscribers with these email keys, let `plan` decide,
        write (joins and leaves into the list's history too)."""
        with self.engine.begin() as conn:
            stored = _by_keys(conn, sorted(set(keys)))
            inserts, updates = plan(stored)
            if inserts:
                conn.execute(insert(subscribers), [_row(data) for data in inserts])
                joined = [d for d in inserts if d.status is Status.ACTIVE]
                ids = _by_keys(conn, [d.email_key for d in joined])
                changes = [list_change(ids[d.email_key].id, None, d, via) for d in joined]
                record_list_changes(conn, [c for c in changes if c])
            if updates:
                statement = update(subscribers).where(subscribers.c.id == bindparam("row_id"))
                conn.execute(statement, [{"row_id": sub.id, **_row(sub)} for sub in updates])
                before = {sub.id: sub.status for sub in stored.values()}
                changes = [list_change(sub.id, before.get(sub.id), sub, via) for sub in updates]
                record_list_changes(conn, [c for c in changes if c])


def _note_change(
    conn: Connection,
    subscriber_id: int,
    before: Status | None,
    after: SubscriberData,
    via: Via,
    issue: int | None = None,
) -> None:
    change = list_change(subscriber_id, before, after, via, issue)
    if change:
        record_list_change(conn, change)


def _by_keys(conn: Connection, keys: Sequence[str]) -> dict[str, Subscriber]:
    found: dict[str, Subscriber] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        for row in conn.execute(select(subscribers).where(subscribers.c.email_key.in_(chunk))):
            found[row.email_key] = _subscriber(row)
    return found


def _fields(data: SubscriberData) -> dict[str, Any]:
    return {
        "email": data.email,
        "name": data.name,
        "status": data.status,
        "source": data.source,
        "attributes": data.attributes,
        "created_at": data.created_at,
        "updated_at": data.updated_at,
        "confirmed_at": data.confirmed_at,
        "unsubscribed_at": data.unsubscribed_at,
    }


def _row(data: SubscriberData) -> dict[str, Any]:
    return {**_fields(data), "status": data.status.value, "email_key": data.email_key}


def _subscriber(row: Row[Any]) -> Subscriber:
    return Subscriber(
        id=row.id,
        email=row.email,
        name=row.name,
        status=Status(row.status),
        source=row.source,
        attributes=dict(row.attributes or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        confirmed_at=row.confirmed_at,
        unsubscribed_at=row.unsubscribed_at,
    )
