"""The send loop: settle what a crash left in flight, queue the audience, send in batches.

Progress is recorded when the provider answers, never when a batch is fetched, so an
interrupted send resumes exactly where it stopped (see README, "Exactly once").
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from newsletter.delivery.backends import Backend, Outcome
from newsletter.delivery.message import Envelope, Personal, Signer, personal
from newsletter.domain.delivery import Batch, DeliveryStatus, Recipient, Settlement
from newsletter.errors import SendError, UnsettledError
from newsletter.store import Store, StoredIssue

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
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int], None]


def load_issue(store: Store, number: int) -> StoredIssue:
    stored = store.get_issue(number)
    if stored is None:
        raise SendError(
            f"there is no issue {number}", hint="build it first: newsletter build --week DATE"
        )
    return stored


def send_issue(
    store: Store,
    envelope: Envelope,
    backend: Backend,
    token: Signer,
    *,
    limit: int | None = None,
    on_progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send the issue to every active subscriber not yet sent to, at most `limit` this run.

    For batch backends one request is on the wire while the next batch is claimed and
    personalised; each batch is still recorded pending before its request and settled
    after its answer, so a crash anywhere leaves at most two batches to settle.
    """
    start = clock()
    number = envelope.issue_number
    report = SendReport(number, backend.name)
    recover(store, backend, number, report)
    store.enqueue(number)
    depth = 1 if backend.per_message else 2
    claimed = cursor = requeues = 0
    answers: list[Settlement] = []  # recorded with the next claim: one commit per batch
    waiting: deque[tuple[Batch, Future[Outcome]]] = deque()
    with _quiet_gc(), ThreadPoolExecutor(2, thread_name_prefix="send") as wire:
        next_id = wire.submit(backend.new_batch_id)  # fetched while the previous batch is sent
        try:
            while True:
                while len(waiting) < depth and (limit is None or claimed < limit):
                    size = (
                        backend.batch_size
                        if limit is None
                        else min(backend.batch_size, limit - claimed)
                    )
                    batch, skipped, failed, last_seen = store.claim(
                        number,
                        next_id.result(),
                        backend.name,
                        size,
                        backend.send_at(),
                        after=cursor,
                        settle=answers,
                    )
                    answers = []
                    next_id = wire.submit(backend.new_batch_id)
                    report.skipped += skipped
                    report.failed += failed
                    if last_seen is None:  # nothing after the cursor: once more from the start,
                        if cursor == 0:  # for deliveries a requeue put back behind it
                            break
                        cursor = 0
                        continue
                    cursor = last_seen
                    if batch.recipients:
                        claimed += len(batch.recipients)
                        people = [personal(envelope, r, token) for r in batch.recipients]
                        waiting.append(
                            (
                                batch,
                                wire.submit(_send_batch, store, envelope, backend, batch, people),
                            )
                        )
                if not waiting:
                    break
                batch, pending = waiting.popleft()
                outcome = pending.result()
                report.requests += 1
                answers.append(_account(batch, outcome, report))
                requeues = requeues + 1 if outcome.requeue else 0
                if outcome.requeue:
                    claimed -= len(batch.recipients)
                    if requeues > MAX_REQUEUES:
                        raise SendError(
                            f"gave up after {MAX_REQUEUES} failed tries in a row: {outcome.requeue}",
                            hint="nothing was sent twice; run the send again later",
                        )
                    sleep(min(30.0, 2.0**requeues))
                if on_progress:
                    on_progress(_settled(batch, outcome))
        finally:
            store.settle(answers + _drain(waiting, report))
    store.finish_issue(number)
    report.left = store.delivery_counts(number).get(DeliveryStatus.QUEUED, 0)
    report.seconds = clock() - start
    return report


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
    if outcome.accepted or outcome.refused:
        return len(batch.recipients)
    return len(outcome.sent) + len(outcome.failed)


def _drain(waiting: deque[tuple[Batch, Future[Outcome]]], report: SendReport) -> list[Settlement]:
    """On the way out (an error, Ctrl-C): what the requests still on the wire came to."""
    found = []
    while waiting:
        batch, pending = waiting.popleft()
        try:
            found.append(_account(batch, pending.result(), report))
        except Exception:  # noqa: BLE001  the first error is already on its way up
            pass  # its batch stays pending: the next run settles it
    return found


def _send_batch(
    store: Store, envelope: Envelope, backend: Backend, batch: Batch, people: Sequence[Personal]
) -> Outcome:
    def settle(who: Personal, provider_id: str | None, error: str | None) -> None:
        if error is None:
            store.delivery_sent(envelope.issue_number, who.recipient.subscriber_id, provider_id)
        else:
            store.delivery_failed(envelope.issue_number, who.recipient.subscriber_id, error)

    try:
        outcome = backend.send(envelope, batch, people, settle if backend.per_message else None)
    except UnsettledError:
        raise  # the batch stays pending; the next run settles it
    except SendError as exc:
        # Refused before anything could be accepted (bad key, unreachable server):
        # whoever was not settled yet goes back to the queue.
        store.batch_requeued(batch.batch_id, str(exc))
        raise
    return outcome


def _account(batch: Batch, outcome: Outcome, report: SendReport) -> Settlement:
    """Count the batch's answer; the settlement is written with the next claim."""
    if outcome.accepted:
        report.sent += len(batch.recipients)
        return Settlement(batch.batch_id, DeliveryStatus.SENT, outcome.provider_id)
    if outcome.refused:
        report.failed += len(batch.recipients)
        return Settlement(batch.batch_id, DeliveryStatus.FAILED, error=outcome.refused)
    if outcome.requeue:
        return Settlement(batch.batch_id, DeliveryStatus.QUEUED, error=outcome.requeue)
    report.sent += len(outcome.sent)  # per-message: each delivery is settled already
    report.failed += len(outcome.failed)
    return Settlement(batch.batch_id, None)


def recover(store: Store, backend: Backend, number: int, report: SendReport) -> None:
    """Settle the batches an earlier run left pending, before sending anything new."""
    for batch in store.pending_batches(number):
        if batch.backend != backend.name:
            raise SendError(
                f"issue {number} has a batch in flight with {batch.backend}",
                hint=f"resume with --backend {batch.backend} so it can be settled",
            )
        found = backend.recover(batch)
        for subscriber_id in found.sent:
            store.delivery_sent(number, subscriber_id, None)
        if found.requeue:
            store.batch_requeued(batch.batch_id, "requeued after an interrupted send")
            report.recovered += len(batch.recipients) - len(found.sent)
        else:
            store.batch_unknown(batch.batch_id, found.unknown or "outcome unknown")
            report.unknown += len(batch.recipients)


def proof(envelope: Envelope, backend: Backend, addresses: Sequence[str], token: Signer) -> int:
    """The editor's proof: the issue to these addresses only; no ledger, no batches."""
    proofed = Envelope(
        envelope.issue_number,
        f"[Proof] {envelope.subject}",
        envelope.html,
        envelope.text,
        envelope.sender,
    )
    people = [personal(proofed, Recipient(0, address, None), token) for address in addresses]
    backend.send_proof(proofed, people)
    return len(people)
