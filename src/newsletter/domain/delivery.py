"""The delivery ledger's values: who gets an issue, batches of them, and their statuses. No I/O.

A delivery moves queued → in_flight (claimed into a batch) → sent | failed, or skipped when
its subscriber stopped being active before their turn, or unknown when a crash hid the
outcome and the provider could not take the batch back. A batch is pending from its claim
until the provider's answer is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from newsletter.domain.subscriber import Status


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"  # a crash hid the outcome and the provider could not take it back


class BatchStatus(StrEnum):
    PENDING = "pending"  # claimed, no answer recorded yet: a crash left its outcome open
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # surely not sent: its deliveries went back to the queue
    REJECTED = "rejected"  # refused for good (a 400)
    UNKNOWN = "unknown"


class Recipient(NamedTuple):
    """Made a million times per send: a tuple is several times cheaper than a frozen dataclass."""

    subscriber_id: int
    email: str
    name: str | None
    variant: int | None = None  # the subject a subject test's sample gave them (None: not in one)


@dataclass(frozen=True, slots=True)
class Batch:
    batch_id: str
    issue_number: int
    backend: str
    status: BatchStatus
    recipients: tuple[Recipient, ...] = ()


class Claimed(NamedTuple):
    """What one claim took from the queue into a new pending batch."""

    batch: Batch
    skipped: int  # their subscriber is no longer active
    failed: int  # an address no backend can take
    last_seen: int | None  # the last subscriber id looked at; None: nothing left


UNDELIVERABLE = "address has characters other than ASCII before the @: no backend can send to it"

# A queued delivery as a claim reads it: (subscriber id, address, name, subscriber status,
# subject-test variant).
ClaimRow = tuple[int, str, str | None, str, int | None]


def sort_claimed(rows: Iterable[ClaimRow]) -> tuple[list[int], list[int], list[Recipient]]:
    """(skipped, failed, to send) of the queued deliveries a claim read: someone no longer
    active is skipped; an address no backend can take (stored before addresses were checked
    as they are now) fails at once.

    Rows are unpacked as tuples: attribute access on a thousand rows a batch cost more
    than the query itself."""
    gone: list[int] = []
    bad: list[int] = []
    taken: list[Recipient] = []
    for subscriber_id, email, name, status, variant in rows:
        if status != Status.ACTIVE:
            gone.append(subscriber_id)
        elif email.isascii():
            taken.append(Recipient(subscriber_id, email, name, variant))
        else:
            bad.append(subscriber_id)
    return gone, bad, taken


class Settlement(NamedTuple):
    """A batch's answer: what its in-flight deliveries become, or None when they were
    settled one by one (per-message backends) and the batch only closes."""

    batch_id: str
    deliveries: DeliveryStatus | None
    provider_id: str | None = None
    error: str | None = None

    @property
    def batch_status(self) -> BatchStatus:
        return _BATCH_STATUS[self.deliveries]


_BATCH_STATUS = {
    DeliveryStatus.SENT: BatchStatus.ACCEPTED,
    None: BatchStatus.ACCEPTED,
    DeliveryStatus.FAILED: BatchStatus.REJECTED,
    DeliveryStatus.QUEUED: BatchStatus.CANCELLED,
    DeliveryStatus.UNKNOWN: BatchStatus.UNKNOWN,
}
