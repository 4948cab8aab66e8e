"""The delivery ledger: one row per (issue, subscriber), and the provider batches.

A delivery moves queued → in_flight (claimed into a batch) → sent | failed, or skipped
when its subscriber stopped being active before their turn. A batch is `pending` from the
moment its deliveries are claimed until the provider's answer is recorded: a pending
batch found at start-up is one whose outcome a crash left unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, exists, func, insert, literal, select, update

from newsletter.store.issues import DRAFT
from newsletter.store.schema import deliveries, issues, send_batches, subscribers

QUEUED, IN_FLIGHT, SENT, FAILED, SKIPPED = "queued", "in_flight", "sent", "failed", "skipped"
UNKNOWN = "unknown"  # a crash hid the outcome and the provider could not take it back
PENDING, ACCEPTED, CANCELLED, REJECTED = "pending", "accepted", "cancelled", "rejected"
SENDING = "sending"


class Recipient(NamedTuple):
    """Made a million times per send: a tuple is several times cheaper than a frozen dataclass."""

    subscriber_id: int
    email: str
    name: str | None


@dataclass(frozen=True, slots=True)
class Batch:
    batch_id: str
    issue_number: int
    backend: str
    status: str
    send_at: int | None
    recipients: tuple[Recipient, ...] = ()


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
            and_(deliveries.c.issue_number == issue_number, deliveries.c.subscriber_id == subscribers.c.id)
        )
        rows = select(
            literal(issue_number), subscribers.c.id, literal(QUEUED), literal(0), literal(self.clock())
        ).where(subscribers.c.status == "active", ~already)
        columns = ["issue_number", "subscriber_id", "status", "attempts", "updated_at"]
        with self.engine.begin() as conn:
            done = conn.execute(insert(deliveries).from_select(columns, rows))
            conn.execute(
                update(issues).where(issues.c.number == issue_number, issues.c.status == DRAFT)
                .values(status=SENDING, updated_at=self.clock())
            )
        return int(done.rowcount or 0)

    def claim(
        self, issue_number: int, batch_id: str, backend: str, size: int, send_at: int | None,
        after: int = 0, settle: Sequence[Settlement] = (),
    ) -> tuple[Batch, int, int | None]:
        """Take up to `size` queued deliveries (subscriber id > `after`) into a new pending batch.

        Returns the batch, how many deliveries were skipped instead (their subscriber is no
        longer active), and the last subscriber id looked at (None: nothing left after
        `after`). `after` lets a send walk the primary key instead of rescanning what it
        already sent. `settle` records earlier batches' answers in the same transaction:
        one commit (one fsync) per batch instead of two.
        """
        now = self.clock()
        with self.engine.begin() as conn:
            _settle_in(conn, settle, now)
            rows = conn.execute(
                select(subscribers.c.id, subscribers.c.email, subscribers.c.name, subscribers.c.status)
                .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
                .where(deliveries.c.issue_number == issue_number, deliveries.c.status == QUEUED,
                       deliveries.c.subscriber_id > after)
                .order_by(deliveries.c.subscriber_id)
                .limit(size)
            ).all()
            gone = [r.id for r in rows if r.status != "active"]
            taken = [Recipient(r.id, r.email, r.name) for r in rows if r.status == "active"]
            if gone:
                conn.execute(_set(issue_number, gone, status=SKIPPED, updated_at=now))
            if taken:
                conn.execute(insert(send_batches).values(
                    batch_id=batch_id, issue_number=issue_number, backend=backend, status=PENDING,
                    send_at=send_at, created_at=now, updated_at=now))
                # Every queued row in this id range is one we just read (the skipped ones are
                # no longer queued): a range beats a thousand-item IN list.
                conn.execute(
                    update(deliveries)
                    .where(deliveries.c.issue_number == issue_number, deliveries.c.status == QUEUED,
                           deliveries.c.subscriber_id.between(rows[0].id, rows[-1].id))
                    .values(status=IN_FLIGHT, batch_id=batch_id, attempts=deliveries.c.attempts + 1,
                            updated_at=now)
                )
        batch = Batch(batch_id, issue_number, backend, PENDING, send_at, tuple(taken))
        return batch, len(gone), (rows[-1].id if rows else None)

    def batch_sent(self, batch_id: str, provider_id: str | None) -> None:
        """The provider accepted the batch: its deliveries are sent."""
        self.settle([Settlement(batch_id, SENT, provider_id)])

    def batch_failed(self, batch_id: str, error: str) -> None:
        """The provider refused the batch for good (e.g. 400): its deliveries failed."""
        self.settle([Settlement(batch_id, FAILED, error=error)])

    def batch_requeued(self, batch_id: str, reason: str) -> None:
        """The batch surely did not go out (refused before acceptance, or cancelled)."""
        self.settle([Settlement(batch_id, QUEUED, error=reason)])

    def batch_unknown(self, batch_id: str, reason: str) -> None:
        """Nobody can tell whether the batch went out: never resend it, say so instead."""
        self.settle([Settlement(batch_id, UNKNOWN, error=reason)])

    def settle(self, settlements: Sequence[Settlement]) -> None:
        with self.engine.begin() as conn:
            _settle_in(conn, settlements, self.clock())

    def audience(self, issue_number: int) -> int:
        """How many deliveries a send would make now: queued ones plus active newcomers."""
        already = exists().where(
            and_(deliveries.c.issue_number == issue_number, deliveries.c.subscriber_id == subscribers.c.id)
        )
        newcomers = select(func.count()).select_from(subscribers).where(
            subscribers.c.status == "active", ~already)
        queued = select(func.count()).select_from(deliveries).where(
            deliveries.c.issue_number == issue_number, deliveries.c.status == QUEUED)
        with self.engine.connect() as conn:
            return int(conn.execute(newcomers).scalar_one()) + int(conn.execute(queued).scalar_one())

    def sample_recipients(self, issue_number: int, limit: int) -> list[Recipient]:
        """The first recipients a send would reach (for --dry-run)."""
        query = (
            select(subscribers.c.id, subscribers.c.email, subscribers.c.name)
            .outerjoin(deliveries, and_(deliveries.c.subscriber_id == subscribers.c.id,
                                        deliveries.c.issue_number == issue_number))
            .where(subscribers.c.status == "active",
                   (deliveries.c.status == QUEUED) | (deliveries.c.status.is_(None)))
            .order_by(subscribers.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Recipient(r.id, r.email, r.name) for r in conn.execute(query).all()]

    def delivery_sent(self, issue_number: int, subscriber_id: int, provider_id: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(_set(issue_number, [subscriber_id], status=SENT, provider_id=provider_id,
                              error=None, updated_at=self.clock()))

    def delivery_failed(self, issue_number: int, subscriber_id: int, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(_set(issue_number, [subscriber_id], status=FAILED, error=error,
                              updated_at=self.clock()))

    def close_batch(self, batch_id: str) -> None:
        """Per-message backends settle each delivery; the batch itself then just ends."""
        self.settle([Settlement(batch_id, CLOSED)])

    def pending_batches(self, issue_number: int | None = None) -> list[Batch]:
        """Batches whose outcome is unknown (a crash came between claim and answer)."""
        query = select(send_batches).where(send_batches.c.status == PENDING)
        if issue_number is not None:
            query = query.where(send_batches.c.issue_number == issue_number)
        with self.engine.connect() as conn:
            found = []
            for b in conn.execute(query.order_by(send_batches.c.created_at)).all():
                rows = conn.execute(
                    select(subscribers.c.id, subscribers.c.email, subscribers.c.name)
                    .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
                    .where(deliveries.c.batch_id == b.batch_id, deliveries.c.status == IN_FLIGHT)
                    .order_by(subscribers.c.id)
                ).all()
                recipients = tuple(Recipient(r.id, r.email, r.name) for r in rows)
                found.append(Batch(b.batch_id, b.issue_number, b.backend, b.status, b.send_at, recipients))
        return found

    def delivery_counts(self, issue_number: int) -> dict[str, int]:
        query = (
            select(deliveries.c.status, func.count())
            .where(deliveries.c.issue_number == issue_number)
            .group_by(deliveries.c.status)
        )
        with self.engine.connect() as conn:
            return {status: int(n) for status, n in conn.execute(query).all()}

    def finish_issue(self, issue_number: int) -> bool:
        """Mark the issue sent once nothing is queued or in flight; True if it is done."""
        counts = self.delivery_counts(issue_number)
        if counts.get(QUEUED) or counts.get(IN_FLIGHT):
            return False
        with self.engine.begin() as conn:
            conn.execute(
                update(issues).where(issues.c.number == issue_number, issues.c.status != "sent")
                .values(status="sent", sent_at=self.clock(), updated_at=self.clock())
            )
        return True



class Settlement(NamedTuple):
    """A batch's answer: `status` is what its in-flight deliveries become (CLOSED: nothing,
    they were settled one by one)."""

    batch_id: str
    status: str
    provider_id: str | None = None
    error: str | None = None


CLOSED = "closed"
_BATCH_STATUS = {SENT: ACCEPTED, CLOSED: ACCEPTED, FAILED: REJECTED, QUEUED: CANCELLED, UNKNOWN: UNKNOWN}


def _settle_in(conn: Connection, settlements: Sequence[Settlement], now: dt.datetime) -> None:
    for s in settlements:
        conn.execute(update(send_batches).where(send_batches.c.batch_id == s.batch_id).values(
            status=_BATCH_STATUS[s.status], updated_at=now, message_id=s.provider_id, error=s.error))
        if s.status != CLOSED:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.batch_id == s.batch_id, deliveries.c.status == IN_FLIGHT)
                .values(status=s.status, updated_at=now, provider_id=s.provider_id, error=s.error)
            )


def _set(issue_number: int, subscriber_ids: Sequence[int], **values: Any) -> Any:
    return (
        update(deliveries)
        .where(deliveries.c.issue_number == issue_number, deliveries.c.subscriber_id.in_(subscriber_ids))
        .values(**values)
    )
