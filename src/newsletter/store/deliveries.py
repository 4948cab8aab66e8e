"""Queries on the delivery ledger: one row per (issue, subscriber), and the provider batches.

The statuses are in domain/delivery.py. A pending batch found at start-up is one whose
outcome a crash left unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Engine, and_, case, exists, func, insert, literal, select, update

from newsletter.domain.delivery import (
    UNDELIVERABLE,
    Batch,
    BatchStatus,
    Claimed,
    ClaimRow,
    DeliveryStatus,
    Recipient,
    Settlement,
    sort_claimed,
)
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subscriber import Status
from newsletter.store.schema import deliveries, issues, send_batches, subscribers

QUEUED, IN_FLIGHT = DeliveryStatus.QUEUED, DeliveryStatus.IN_FLIGHT

# What a SendGrid event can say about one delivery: the column that keeps its first time.
DELIVERY_EVENT_COLUMNS = frozenset(
    {"delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at"}
)
ACTIVE = Status.ACTIVE


class DeliveryQueries:
    """Mixed into Store: the ledger."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def enqueue(self, issue_number: int) -> int:
        """Queue every active subscriber who has no row for this issue yet; returns how many.

        The audience is fixed here, in one statement however long the list; a second send
        of the same issue queues only people who joined since.
        """
        already = exists().where(
            and_(
                deliveries.c.issue_number == issue_number,
                deliveries.c.subscriber_id == subscribers.c.id,
            )
        )
        rows = select(
            literal(issue_number),
            subscribers.c.id,
            literal(QUEUED.value),
            literal(0),
            literal(self.clock()),
        ).where(subscribers.c.status == ACTIVE, ~already)
        columns = ["issue_number", "subscriber_id", "status", "attempts", "updated_at"]
        with self.engine.begin() as conn:
            # SQLAlchemy keeps an INSERT's row count only when asked (psycopg gives -1 else)
            queue = insert(deliveries).from_select(columns, rows)
            done = conn.execute(queue.execution_options(preserve_rowcount=True))
            conn.execute(
                update(issues)
                .where(
                    issues.c.number == issue_number,
                    issues.c.status.in_(IssueStatus.moving_to(IssueStatus.SENDING)),
                )
                .values(status=IssueStatus.SENDING, updated_at=self.clock())
            )
        return int(done.rowcount or 0)

    def claim(
        self,
        issue_number: int,
        batch_id: str,
        backend: str,
        size: int,
        after: int = 0,
        settle: Sequence[Settlement] = (),
    ) -> Claimed:
        """Take up to `size` queued deliveries (subscriber id > `after`) into a new pending batch.

        Returns the batch, how many deliveries were skipped instead and how many failed at
        once (domain/delivery.sort_claimed decides), and the last subscriber id looked at
        (None: nothing left after `after`). `after` lets a send walk the primary key instead
        of rescanning what it already sent. `settle` records earlier batches' answers in the
        same transaction: one commit (one fsync) per batch instead of two.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            _settle_in(conn, settle, now)
            rows = conn.execute(
                select(
                    subscribers.c.id,
                    subscribers.c.email,
                    subscribers.c.name,
                    subscribers.c.status,
                    deliveries.c.variant,
                )
                .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
                .where(
                    deliveries.c.issue_number == issue_number,
                    deliveries.c.status == QUEUED,
                    deliveries.c.subscriber_id > after,
                )
                .order_by(deliveries.c.subscriber_id)
                .limit(size)
            ).all()
            gone, bad, taken = sort_claimed(cast("list[ClaimRow]", rows))  # rows are tuples
            if gone:
                conn.execute(
                    _set(issue_number, gone, status=DeliveryStatus.SKIPPED, updated_at=now)
                )
            if bad:
                conn.execute(
                    _set(
                        issue_number,
                        bad,
                        status=DeliveryStatus.FAILED,
                        updated_at=now,
                        error=UNDELIVERABLE,
                    )
                )
            if taken:
                conn.execute(
                    insert(send_batches).values(
                        batch_id=batch_id,
                        issue_number=issue_number,
                        backend=backend,
                        status=BatchStatus.PENDING,
                        created_at=now,
                        updated_at=now,
                    )
                )
                # Every queued row in this id range is one we just read (the skipped ones are
                # no longer queued): a range beats a thousand-item IN list.
                conn.execute(
                    update(deliveries)
                    .where(
                        deliveries.c.issue_number == issue_number,
                        deliveries.c.status == QUEUED,
                        deliveries.c.subscriber_id.between(rows[0][0], rows[-1][0]),
                    )
                    .values(
                        status=IN_FLIGHT,
                        batch_id=batch_id,
                        attempts=deliveries.c.attempts + 1,
                        updated_at=now,
                    )
                )
        batch = Batch(batch_id, issue_number, backend, BatchStatus.PENDING, tuple(taken))
        return Claimed(batch, len(gone), len(bad), rows[-1][0] if rows else None)

    def settle(self, settlements: Sequence[Settlement]) -> None:
        with self.engine.begin() as conn:
            _settle_in(conn, settlements, self.clock())

    def audience(self, issue_number: int) -> int:
        """How many deliveries a send would make now: queued ones plus active newcomers."""
        already = exists().where(
            and_(
                deliveries.c.issue_number == issue_number,
                deliveries.c.subscriber_id == subscribers.c.id,
            )
        )
        newcomers = (
            select(func.count())
            .select_from(subscribers)
            .where(subscribers.c.status == ACTIVE, ~already)
        )
        queued = (
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.issue_number == issue_number, deliveries.c.status == QUEUED)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(newcomers).scalar_one()) + int(
                conn.execute(queued).scalar_one()
            )

    def sample_recipients(self, issue_number: int, limit: int) -> list[Recipient]:
        """The first recipients a send would reach (for --dry-run)."""
        query = (
            select(subscribers.c.id, subscribers.c.email, subscribers.c.name)
            .outerjoin(
                deliveries,
                and_(
                    deliveries.c.subscriber_id == subscribers.c.id,
                    deliveries.c.issue_number == issue_number,
                ),
            )
            .where(
                subscribers.c.status == ACTIVE,
                (deliveries.c.status == QUEUED) | (deliveries.c.status.is_(None)),
            )
            .order_by(subscribers.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Recipient(r.id, r.email, r.name) for r in conn.execute(query).all()]

    def delivery_sent(self, issue_number: int, subscriber_id: int, provider_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                _set(
                    issue_number,
                    [subscriber_id],
                    status=DeliveryStatus.SENT,
                    provider_id=provider_id,
                    error=None,
                    updated_at=self.clock(),
                )
            )

    def delivery_failed(self, issue_number: int, subscriber_id: int, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                _set(
                    issue_number,
                    [subscriber_id],
                    status=DeliveryStatus.FAILED,
                    error=error,
                    updated_at=self.clock(),
                )
            )

    def pending_batches(self, issue_number: int | None = None) -> list[Batch]:
        """Batches whose outcome is unknown (a crash came between claim and answer)."""
        query = select(send_batches).where(send_batches.c.status == BatchStatus.PENDING)
        if issue_number is not None:
            query = query.where(send_batches.c.issue_number == issue_number)
        with self.engine.connect() as conn:
            found = []
            for b in conn.execute(query.order_by(send_batches.c.created_at)).all():
                rows = conn.execute(
                    select(
                        subscribers.c.id,
                        subscribers.c.email,
                        subscribers.c.name,
                        deliveries.c.variant,
                    )
                    .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
                    .where(deliveries.c.batch_id == b.batch_id, deliveries.c.status == IN_FLIGHT)
                    .order_by(subscribers.c.id)
                ).all()
                recipients = tuple(Recipient(r.id, r.email, r.name, r.variant) for r in rows)
                found.append(
                    Batch(
                        b.batch_id,
                        b.issue_number,
                        b.backend,
                        BatchStatus(b.status),
                        recipients,
                    )
                )
        return found

    def delivery_counts(self, issue_number: int) -> dict[DeliveryStatus, int]:
        query = (
            select(deliveries.c.status, func.count())
            .where(deliveries.c.issue_number == issue_number)
            .group_by(deliveries.c.status)
        )
        with self.engine.connect() as conn:
            return {DeliveryStatus(status): int(n) for status, n in conn.execute(query).all()}

    def sent_by_backend(self, issue_number: int) -> dict[str, int]:
        """How many of the issue's deliveries each backend sent (by the batch that sent them)."""
        query = (
            select(send_batches.c.backend, func.count())
            .join(deliveries, deliveries.c.batch_id == send_batches.c.batch_id)
            .where(
                deliveries.c.issue_number == issue_number,
                deliveries.c.status == DeliveryStatus.SENT,
            )
            .group_by(send_batches.c.backend)
        )
        with self.engine.connect() as conn:
            return {str(backend): int(n) for backend, n in conn.execute(query).all()}

    def finish_issue(self, issue_number: int) -> bool:
        """Mark the issue sent once nothing is queued or in flight; True if it is done."""
        counts = self.delivery_counts(issue_number)
        if counts.get(QUEUED) or counts.get(IN_FLIGHT):
            return False
        with self.engine.begin() as conn:
            conn.execute(
                update(issues)
                .where(
                    issues.c.number == issue_number,
                    issues.c.status.in_(IssueStatus.moving_to(IssueStatus.SENT)),
                )
                .values(status=IssueStatus.SENT, sent_at=self.clock(), updated_at=self.clock())
            )
        return True

    def record_delivery_event(
        self, issue_number: int, subscriber_id: int, column: str, at: dt.datetime
    ) -> bool:
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
                .where(
                    deliveries.c.issue_number == issue_number,
                    deliveries.c.subscriber_id == subscriber_id,
                )
                .values({column: earliest})
            )
        return bool(done.rowcount)

    def delivery_events(
        self, issue_number: int, subscriber_id: int
    ) -> dict[str, dt.datetime | None]:
        """The event times of one delivery (empty if there is no such delivery)."""
        columns = [deliveries.c[name] for name in sorted(DELIVERY_EVENT_COLUMNS)]
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*columns).where(
                    deliveries.c.issue_number == issue_number,
                    deliveries.c.subscriber_id == subscriber_id,
                )
            ).first()
        return dict(row._mapping) if row else {}


def _settle_in(conn: Connection, settlements: Sequence[Settlement], now: dt.datetime) -> None:
    for s in settlements:
        conn.execute(
            update(send_batches)
            .where(send_batches.c.batch_id == s.batch_id)
            .values(status=s.batch_status, updated_at=now, message_id=s.provider_id, error=s.error)
        )
        if s.deliveries is not None:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.batch_id == s.batch_id, deliveries.c.status == IN_FLIGHT)
                .values(
                    status=s.deliveries, updated_at=now, provider_id=s.provider_id, error=s.error
                )
            )


def _set(issue_number: int, subscriber_ids: Sequence[int], **values: Any) -> Any:
    return (
        update(deliveries)
        .where(
            deliveries.c.issue_number == issue_number,
            deliveries.c.subscriber_id.in_(subscriber_ids),
        )
        .values(**values)
    )
