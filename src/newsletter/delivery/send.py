"""The send loop: settle what a crash left in flight, queue the audience, send in batches.

Progress is recorded when the provider answers, never when a batch is fetched, so an
interrupted send resumes exactly where it stopped (see README, "Exactly once").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsletter.delivery.backends import Backend, Outcome
from newsletter.delivery.message import Envelope, Personal, Signer, personal
from newsletter.errors import SendError, UnsettledError
from newsletter.store import Batch, Recipient, Store, StoredIssue

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
        raise SendError(f"there is no issue {number}", hint="build it first: newsletter build --week DATE")
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
    """Send the issue to every active subscriber not yet sent to, at most `limit` this run."""
    start = clock()
    number = envelope.issue_number
    report = SendReport(number, backend.name)
    recover(store, backend, number, report)
    store.enqueue(number)
    requeues = 0
    while limit is None or report.sent + report.failed < limit:
        room = backend.batch_size if limit is None else min(backend.batch_size, limit - report.sent - report.failed)
        batch, skipped = store.claim(number, backend.new_batch_id(), backend.name, room, backend.send_at())
        report.skipped += skipped
        if not batch.recipients:
            if skipped:
                continue
            break
        people = [personal(envelope, r, token) for r in batch.recipients]
        outcome = _send_batch(store, envelope, backend, batch, people)
        report.requests += 1
        requeues = _account(store, batch, outcome, report, requeues)
        if outcome.requeue:
            sleep(min(30.0, 2.0**requeues))
        if on_progress:
            on_progress(len(outcome.sent) + len(outcome.failed) + (len(people) if outcome.accepted or outcome.refused else 0))
    store.finish_issue(number)
    report.left = store.delivery_counts(number).get("queued", 0)
    report.seconds = clock() - start
    return report


def _send_batch(store: Store, envelope: Envelope, backend: Backend, batch: Batch,
                people: Sequence[Personal]) -> Outcome:
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
    if backend.per_message:
        store.close_batch(batch.batch_id)
    return outcome


def _account(store: Store, batch: Batch, outcome: Outcome, report: SendReport, requeues: int) -> int:
    if outcome.accepted:
        store.batch_sent(batch.batch_id, outcome.provider_id)
        report.sent += len(batch.recipients)
    elif outcome.refused:
        store.batch_failed(batch.batch_id, outcome.refused)
        report.failed += len(batch.recipients)
    elif outcome.requeue:
        store.batch_requeued(batch.batch_id, outcome.requeue)
        if requeues + 1 > MAX_REQUEUES:
            raise SendError(f"gave up after {MAX_REQUEUES} failed tries in a row: {outcome.requeue}",
                            hint="nothing was sent twice; run the send again later")
        return requeues + 1
    else:
        report.sent += len(outcome.sent)
        report.failed += len(outcome.failed)
    return 0


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
    proofed = Envelope(envelope.issue_number, f"[Proof] {envelope.subject}", envelope.html,
                       envelope.text, envelope.sender)
    people = [personal(proofed, Recipient(0, address, None), token) for address in addresses]
    backend.send_proof(proofed, people)
    return len(people)
