"""The send loop: settle what a crash left in flight, queue the audience, send in batches.

Progress is recorded when the provider answers, never when a batch is fetched, so an
interrupted send resumes exactly where it stopped (see docs/sending.md, "Exactly once").
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import assert_never

from newsletter.delivery.backends import (
    Accepted,
    Backend,
    Outcome,
    PerMessage,
    Refused,
    Requeued,
    Resend,
    Unknowable,
)
from newsletter.delivery.flights import Flights
from newsletter.delivery.ledger import Ledger
from newsletter.delivery.message import Envelope, Personal, Signer, personal
from newsletter.domain.delivery import Batch, DeliveryStatus, Recipient, Settlement
from newsletter.errors import SendError, UnsettledError

MAX_REQUEUES = 5


@dataclass(slots=True)
class SendReport:
    issue_number: int
    backend: str
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    recovered: int = 0
    requests: int = 0
    left: int = 0
    concurrency: int = 1
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int], None]


def send_issue(
    store: Ledger,
    envelope: Envelope,
    backend: Backend,
    token: Signer,
    *,
    limit: int | None = None,
    on_progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    queued_only: bool = False,
) -> SendReport:
    """Send the issue to every active subscriber not yet sent to, at most `limit` this run.

    Up to `backend.concurrency` batches are on the wire at once; each is recorded pending
    before its request and settled after its answer, so a crash anywhere leaves at most
    that many batches to settle, and the next run settles them before sending anything.
    `queued_only` sends only the deliveries already queued (a subject test's sample): it
    queues nobody new and leaves the issue sending.
    """
    start = clock()
    number = envelope.issue_number
    report = SendReport(number, backend.name, concurrency=backend.concurrency)
    recover(store, backend, number, report)
    if not queued_only:
        store.enqueue(number)
    claims = ClaimWalker(store, number, backend, limit, report)
    failures = 0  # answers in a row that sent nobody: every slot failing means a provider down
    answers: list[Settlement] = []  # recorded with the next claim: one commit per batch

    def fly(batch: Batch) -> Outcome:
        return _send_batch(store, envelope, backend, batch, token)

    with _quiet_gc(), Flights(backend.concurrency, backend.new_batch_id, fly) as flights:
        try:
            while True:
                while flights.room and (batch := claims.next(flights.batch_id, answers)):
                    flights.launch(batch)
                if answers:  # nothing was claimed to record them with
                    store.settle(answers)
                    answers.clear()
                if not len(flights):
                    break
                batch, outcome = flights.landed()
                report.requests += 1
                answers.append(_account(batch, outcome, report))
                match outcome:
                    case Requeued(reason=reason):
                        failures += 1
                        claims.returned(len(batch.recipients))
                        if failures > MAX_REQUEUES * backend.concurrency:
                            raise SendError(
                                f"gave up after {failures} failed requests in a row: {reason}",
                                hint="nothing was sent twice; run the send again later",
                            )
                    case _:
                        failures = 0
                if on_progress:
                    on_progress(_settled(batch, outcome))
        finally:
            answers += [_account(b, o, report) for b, o in flights.drain()]
            store.settle(answers)
    if not queued_only:
        store.finish_issue(number)
    report.left = store.delivery_counts(number).get(DeliveryStatus.QUEUED, 0)
    report.seconds = clock() - start
    return report


class ClaimWalker:
    """Walks the queue in subscriber order, then once more from the start for people a
    requeue put back behind the cursor."""

    def __init__(
        self, store: Ledger, number: int, backend: Backend, limit: int | None, report: SendReport
    ) -> None:
        self.store, self.number, self.backend, self.limit = store, number, backend, limit
        self.report = report  # counts the skipped and failed it meets
        self.claimed = self.cursor = 0
        self.exhausted = False  # until a requeue puts people back, claiming again finds none

    def next(self, batch_id: Callable[[], str], settle: list[Settlement]) -> Batch | None:
        """The next batch, recorded pending in one commit with `settle` (emptied once
        recorded); None when nothing is left to claim for now."""
        while not self.exhausted and (self.limit is None or self.claimed < self.limit):
            size = self.backend.batch_size
            if self.limit is not None:
                size = min(size, self.limit - self.claimed)
            batch, skipped, failed, last_seen = self.store.claim(
                self.number, batch_id(), self.backend.name, size, after=self.cursor, settle=settle
            )
            settle.clear()
            self.report.skipped += skipped
            self.report.failed += failed
            if last_seen is None:
                self.exhausted = self.cursor == 0
                self.cursor = 0
                continue
            self.cursor = last_seen
            if batch.recipients:
                self.claimed += len(batch.recipients)
                return batch
        return None

    def returned(self, count: int) -> None:
        """A requeued batch's people are back in the queue: they count against no limit."""
        self.claimed -= count
        self.exhausted = False


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Keep the collector off the long-lived heap while sending.

    A send makes millions of short-lived objects; each collection would otherwise rescan
    everything the process holds (the ORM, templates, …) and cost more than the send.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _settled(batch: Batch, outcome: Outcome) -> int:
    """How many deliveries the answer settled, for the progress bar."""
    match outcome:
        case Accepted() | Refused():
            return len(batch.recipients)
        case Requeued():
            return 0
        case PerMessage(sent=sent, failed=failed):
            return len(sent) + len(failed)
        case _:
            assert_never(outcome)


def _send_batch(
    store: Ledger, envelope: Envelope, backend: Backend, batch: Batch, token: Signer
) -> Outcome:
    def settle(who: Personal, provider_id: str | None, error: str | None) -> None:
        if error is None:
            store.delivery_sent(envelope.issue_number, who.recipient.subscriber_id, provider_id)
        else:
            store.delivery_failed(envelope.issue_number, who.recipient.subscriber_id, error)

    try:
        return backend.send(envelope, batch, token, settle)
    except UnsettledError:
        raise  # the batch stays pending; the next run settles it
    except SendError as exc:
        # Refused before anything could be accepted (bad key, unreachable server):
        # whoever was not settled yet goes back to the queue.
        store.settle([Settlement(batch.batch_id, DeliveryStatus.QUEUED, error=str(exc))])
        raise


def _account(batch: Batch, outcome: Outcome, report: SendReport) -> Settlement:
    """Count the batch's answer; the settlement is written with the next claim."""
    match outcome:
        case Accepted(provider_id=provider_id):
            report.sent += len(batch.recipients)
            return Settlement(batch.batch_id, DeliveryStatus.SENT, provider_id)
        case Refused(reason=reason):
            report.failed += len(batch.recipients)
            return Settlement(batch.batch_id, DeliveryStatus.FAILED, error=reason)
        case Requeued(reason=reason):
            return Settlement(batch.batch_id, DeliveryStatus.QUEUED, error=reason)
        case PerMessage(sent=sent, failed=failed):
            report.sent += len(sent)  # each delivery is settled already: the batch only closes
            report.failed += len(failed)
            return Settlement(batch.batch_id, None)
        case _:
            assert_never(outcome)


def recover(store: Ledger, backend: Backend, number: int, report: SendReport) -> None:
    """Settle the batches an earlier run left pending, before sending anything new."""
    for batch in store.pending_batches(number):
        if batch.backend != backend.name:
            raise SendError(
                f"issue {number} has a batch in flight with {batch.backend}",
                hint=f"resume with --backend {batch.backend} so it can be settled",
            )
        match backend.recover(batch):
            case Resend(sent=sent):
                for subscriber_id in sent:
                    store.delivery_sent(number, subscriber_id, None)
                reason = "requeued after an interrupted send"
                store.settle([Settlement(batch.batch_id, DeliveryStatus.QUEUED, error=reason)])
                report.recovered += len(batch.recipients) - len(sent)
            case Unknowable(reason=reason):
                store.settle([Settlement(batch.batch_id, DeliveryStatus.UNKNOWN, error=reason)])
                report.unknown += len(batch.recipients)
            case found:
                assert_never(found)


def proof(
    envelope: Envelope,
    backend: Backend,
    addresses: Sequence[str],
    token: Signer,
    *,
    unsubscribe_url: str | None = None,
) -> int:
    """The editor's proof: the issue to these addresses only; no ledger, no batches.
    `unsubscribe_url`: where its unsubscribe link goes instead of a reader's own (a page
    saying this is a proof: the editors are not readers of it)."""
    proofed = Envelope(
        envelope.issue_number,
        f"[Proof] {envelope.subject}",
        envelope.html,
        envelope.text,
        envelope.sender,
    )
    people = [personal(proofed, Recipient(0, address, None), token) for address in addresses]
    if unsubscribe_url is not None:
        people = [
            p._replace(unsubscribe_url=unsubscribe_url, list_unsubscribe=f"<{unsubscribe_url}>")
            for p in people
        ]
    backend.send_proof(proofed, people)
    return len(people)
