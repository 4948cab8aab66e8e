"""An in-memory delivery ledger and a scripted backend, for unit tests of the send loop and
the claim walker without a database or a provider.

`MemoryLedger` is the `Ledger` protocol (delivery/ledger.py) kept faithful to the SQL store:
the same claim order (subscriber id, after a cursor), the same rule for who is skipped or
failed at claim time (domain/delivery.sort_claimed), the same settling of a batch's in-flight
deliveries, and the same issue status moves (domain/issue.py). tests/delivery/test_ledger.py
runs one script against both to keep them alike.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from newsletter.delivery.backends import (
    Accepted,
    Outcome,
    Recovery,
    Refused,
    Requeued,
    Resend,
    Settle,
    send_each,
)
from newsletter.delivery.message import Envelope, Personal, Signer
from newsletter.domain.delivery import (
    UNDELIVERABLE,
    Batch,
    BatchStatus,
    Claimed,
    DeliveryStatus,
    Recipient,
    Settlement,
    sort_claimed,
)
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subscriber import Status

QUEUED, IN_FLIGHT = DeliveryStatus.QUEUED, DeliveryStatus.IN_FLIGHT


@dataclass(slots=True)
class Row:
    """One delivery, as the deliveries table holds it."""

    status: DeliveryStatus
    attempts: int = 0
    batch_id: str | None = None
    provider_id: str | None = None
    error: str | None = None
    variant: int | None = None  # a subject test's sample: the subject it gets


@dataclass(slots=True)
class BatchRow:
    """One provider batch, as the send_batches table holds it."""

    issue_number: int
    backend: str
    status: BatchStatus
    message_id: str | None = None
    error: str | None = None


class MemoryLedger:
    """The ledger in dicts; every method is one "transaction" under one lock (per-message
    backends settle from the wire threads, as they do against the store)."""

    def __init__(self) -> None:
        self.people: dict[int, tuple[str, str | None, Status]] = {}
        self.issues: dict[int, IssueStatus] = {}
        self.rows: dict[tuple[int, int], Row] = {}  # (issue, subscriber)
        self.batches: dict[str, BatchRow] = {}  # in the order they were claimed
        self.claims = 0  # claim() calls: how often the queue was read
        self._lock = threading.RLock()

    # -- what the tests set up ----------------------------------------------------------

    def add_issue(self, number: int = 1) -> None:
        self.issues[number] = IssueStatus.DRAFT

    def add_people(self, count: int, *, status: Status = Status.ACTIVE) -> list[int]:
        """Subscribers reader{n}@example.org named "Reader n", as tests/support/deliveries does."""
        ids = []
        for _ in range(count):
            n = len(self.people)
            self.people[n + 1] = (f"reader{n}@example.org", f"Reader {n}", status)
            ids.append(n + 1)
        return ids

    def add_sample(self, issue_number: int, variants: dict[int, int]) -> None:
        """A subject test's sample queued with its variants, as the store's start does."""
        with self._lock:
            for subscriber_id, variant in variants.items():
                self.rows[issue_number, subscriber_id] = Row(QUEUED, variant=variant)
            self._move_issue(issue_number, IssueStatus.SENDING)

    def add_email(self, email: str, status: Status = Status.ACTIVE) -> int:
        self.people[len(self.people) + 1] = (email, None, status)
        return len(self.people)

    def set_status(self, subscriber_id: int, status: Status) -> None:
        email, name, _ = self.people[subscriber_id]
        self.people[subscriber_id] = (email, name, status)

    def issue_status(self, number: int = 1) -> IssueStatus:
        return self.issues[number]

    # -- the Ledger protocol --------------------------------------------------------------

    def enqueue(self, issue_number: int) -> int:
        with self._lock:
            added = 0
            for subscriber_id, (_, _, status) in sorted(self.people.items()):
                key = (issue_number, subscriber_id)
                if status is Status.ACTIVE and key not in self.rows:
                    self.rows[key] = Row(QUEUED)
                    added += 1
            self._move_issue(issue_number, IssueStatus.SENDING)
            return added

    def claim(
        self,
        issue_number: int,
        batch_id: str,
        backend: str,
        size: int,
        after: int = 0,
        settle: Sequence[Settlement] = (),
    ) -> Claimed:
        with self._lock:
            self.claims += 1
            self._settle(settle)
            queued = sorted(
                sid
                for (number, sid), row in self.rows.items()
                if number == issue_number and row.status is QUEUED and sid > after
            )[:size]
            gone, bad, taken = sort_claimed(
                (sid, *self.people[sid], self.rows[issue_number, sid].variant) for sid in queued
            )
            for sid in gone:
                self.rows[issue_number, sid].status = DeliveryStatus.SKIPPED
            for sid in bad:
                row = self.rows[issue_number, sid]
                row.status, row.error = DeliveryStatus.FAILED, UNDELIVERABLE
            if taken:
                self.batches[batch_id] = BatchRow(issue_number, backend, BatchStatus.PENDING)
                for r in taken:
                    row = self.rows[issue_number, r.subscriber_id]
                    row.status, row.batch_id, row.attempts = IN_FLIGHT, batch_id, row.attempts + 1
            batch = Batch(batch_id, issue_number, backend, BatchStatus.PENDING, tuple(taken))
            return Claimed(batch, len(gone), len(bad), queued[-1] if queued else None)

    def settle(self, settlements: Sequence[Settlement]) -> None:
        with self._lock:
            self._settle(settlements)

    def delivery_sent(self, issue_number: int, subscriber_id: int, provider_id: str | None) -> None:
        with self._lock:
            row = self.rows[issue_number, subscriber_id]
            row.status, row.provider_id, row.error = DeliveryStatus.SENT, provider_id, None

    def delivery_failed(self, issue_number: int, subscriber_id: int, error: str) -> None:
        with self._lock:
            row = self.rows[issue_number, subscriber_id]
            row.status, row.error = DeliveryStatus.FAILED, error

    def pending_batches(self, issue_number: int | None = None) -> list[Batch]:
        with self._lock:
            return [
                Batch(
                    batch_id,
                    b.issue_number,
                    b.backend,
                    b.status,
                    tuple(
                        self._recipient(sid, self.rows[b.issue_number, sid].variant)
                        for sid in self._in_flight(batch_id)
                    ),
                )
                for batch_id, b in self.batches.items()
                if b.status is BatchStatus.PENDING and issue_number in (None, b.issue_number)
            ]

    def delivery_counts(self, issue_number: int) -> dict[DeliveryStatus, int]:
        with self._lock:
            return dict(
                Counter(row.status for (n, _), row in self.rows.items() if n == issue_number)
            )

    def finish_issue(self, issue_number: int) -> bool:
        with self._lock:
            counts = self.delivery_counts(issue_number)
            if counts.get(QUEUED) or counts.get(IN_FLIGHT):
                return False
            self._move_issue(issue_number, IssueStatus.SENT)
            return True

    # -- inside -----------------------------------------------------------------------------

    def _settle(self, settlements: Iterable[Settlement]) -> None:
        for s in settlements:
            batch = self.batches[s.batch_id]
            batch.status, batch.message_id, batch.error = s.batch_status, s.provider_id, s.error
            if s.deliveries is None:
                continue
            for sid in self._in_flight(s.batch_id):
                row = self.rows[batch.issue_number, sid]
                row.status, row.provider_id, row.error = s.deliveries, s.provider_id, s.error

    def _in_flight(self, batch_id: str) -> list[int]:
        return sorted(
            sid
            for (_, sid), row in self.rows.items()
            if row.batch_id == batch_id and row.status is IN_FLIGHT
        )

    def _recipient(self, subscriber_id: int, variant: int | None = None) -> Recipient:
        email, name, _ = self.people[subscriber_id]
        return Recipient(subscriber_id, email, name, variant)

    def _move_issue(self, number: int, target: IssueStatus) -> None:
        if number in self.issues and self.issues[number] in IssueStatus.moving_to(target):
            self.issues[number] = target


# -- a backend whose answers are scripted --------------------------------------------------

Answer = Callable[["ScriptedBackend", Envelope, Batch, Signer, Settle], Outcome]


def accept(backend: ScriptedBackend, envelope: Envelope, batch: Batch, *_: object) -> Outcome:
    """The provider takes the whole batch."""
    backend.went_out(r.subscriber_id for r in batch.recipients)
    return Accepted(f"msg-{batch.batch_id}")


def refuse(reason: str) -> Answer:
    """Refused for good (a 400): nobody in the batch got it."""
    return lambda *_: Refused(reason)


def requeue(reason: str) -> Answer:
    """Surely not sent (a 429, a 5xx whose batch was cancelled)."""
    return lambda *_: Requeued(reason)


def per_message(failing: Iterable[int] = ()) -> Answer:
    """Message by message, as SMTP and the outbox do: these subscribers' messages fail."""
    bad = frozenset(failing)

    def answer(
        backend: ScriptedBackend, envelope: Envelope, batch: Batch, token: Signer, settle: Settle
    ) -> Outcome:
        def deliver(who: Personal) -> tuple[str | None, str | None]:
            if who.recipient.subscriber_id in bad:
                return None, "550 mailbox unavailable"
            backend.went_out([who.recipient.subscriber_id])
            return who.message_id, None

        return send_each(envelope, batch, token, deliver, settle)

    return answer


class ScriptedBackend:
    """A Backend answering each request with the next scripted answer (then `otherwise`);
    `delivered` counts what went out per subscriber."""

    name = "scripted"

    def __init__(
        self,
        *script: Answer,
        batch_size: int = 3,
        concurrency: int = 1,
        otherwise: Answer = accept,
        recovery: Callable[[Batch], Recovery] = lambda batch: Resend(),
    ) -> None:
        self.batch_size, self.concurrency = batch_size, concurrency
        self.script, self.otherwise, self.recovery = deque(script), otherwise, recovery
        self.requests: list[Batch] = []
        self.delivered: Counter[int] = Counter()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def went_out(self, subscriber_ids: Iterable[int]) -> None:
        with self._lock:
            self.delivered.update(subscriber_ids)

    def new_batch_id(self) -> str:
        with self._lock:
            return f"b{next(self._ids)}"

    def send(self, envelope: Envelope, batch: Batch, token: Signer, settle: Settle) -> Outcome:
        with self._lock:
            self.requests.append(batch)
            answer = self.script.popleft() if self.script else self.otherwise
        return answer(self, envelope, batch, token, settle)

    def recover(self, batch: Batch) -> Recovery:
        return self.recovery(batch)

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None:
        self.went_out(who.recipient.subscriber_id for who in people)

    def close(self) -> None:
        pass
