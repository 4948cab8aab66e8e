"""The send loop and the claim walker against the in-memory ledger and a scripted backend:
every kind of answer, the limit, requeues behind the cursor, recovery and giving up.
(The end-to-end sends, through real backends and a real store, are in the other files.)"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from newsletter.delivery.backends import Resend, Unknowable
from newsletter.delivery.message import Envelope
from newsletter.delivery.send import MAX_REQUEUES, ClaimWalker, SendReport, send_issue
from newsletter.domain.delivery import Batch, BatchStatus, DeliveryStatus, Settlement
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subscriber import Status
from newsletter.errors import SendError
from tests.support.deliveries import HTML, SENDER, TEXT, token
from tests.support.ledger import (
    MemoryLedger,
    ScriptedBackend,
    accept,
    per_message,
    refuse,
    requeue,
)

ENVELOPE = Envelope.for_issue(1, "Issue", HTML, TEXT, SENDER)
SENT, QUEUED, FAILED = DeliveryStatus.SENT, DeliveryStatus.QUEUED, DeliveryStatus.FAILED


def ledger_of(people: int) -> MemoryLedger:
    ledger = MemoryLedger()
    ledger.add_issue()
    ledger.add_people(people)
    return ledger


def once_each(*ids: int) -> Counter[int]:
    return Counter({n: 1 for n in ids})


# -- the send loop ---------------------------------------------------------------------------


def test_a_requeued_batch_goes_out_once_in_a_later_batch() -> None:
    """A 5xx whose batch was cancelled: its people go back to the queue and are sent once,
    after the walker has been to the end of the queue and back."""
    ledger = ledger_of(7)
    backend = ScriptedBackend(accept, requeue("HTTP 503; the batch was cancelled"))
    report = send_issue(ledger, ENVELOPE, backend, token)
    assert [[r.subscriber_id for r in b.recipients] for b in backend.requests] == [
        [1, 2, 3],
        [4, 5, 6],
        [7],
        [4, 5, 6],
    ]
    assert (report.sent, report.failed, report.requests, report.left) == (7, 0, 4, 0)
    assert backend.delivered == once_each(*range(1, 8))
    assert ledger.batches["b2"].status is BatchStatus.CANCELLED
    assert [ledger.rows[1, n].attempts for n in range(1, 8)] == [1, 1, 1, 2, 2, 2, 1]
    assert ledger.issue_status() is IssueStatus.SENT


def test_a_refused_batch_fails_its_people_and_the_send_goes_on() -> None:
    ledger = ledger_of(6)
    backend = ScriptedBackend(refuse("HTTP 400: personalizations: too many"))
    report = send_issue(ledger, ENVELOPE, backend, token)
    assert (report.sent, report.failed) == (3, 3)
    assert ledger.delivery_counts(1) == {FAILED: 3, SENT: 3}
    assert ledger.rows[1, 1].error == "HTTP 400: personalizations: too many"
    assert ledger.batches["b1"].status is BatchStatus.REJECTED
    assert backend.delivered == once_each(4, 5, 6)
    assert ledger.issue_status() is IssueStatus.SENT


def test_per_message_answers_settle_each_delivery_and_close_the_batch() -> None:
    """A backend sending message by message settles each as it goes; the batch then only closes."""
    ledger = ledger_of(6)
    backend = ScriptedBackend(otherwise=per_message(failing=[2, 5]))
    progress: list[int] = []
    report = send_issue(ledger, ENVELOPE, backend, token, on_progress=progress.append)
    assert (report.sent, report.failed, progress) == (4, 2, [3, 3])
    assert ledger.delivery_counts(1) == {SENT: 4, FAILED: 2}
    assert ledger.rows[1, 5].error == "550 mailbox unavailable"
    assert ledger.rows[1, 1].provider_id == "<issue-1.sub-1@news.example>"
    assert {b.status for b in ledger.batches.values()} == {BatchStatus.ACCEPTED}


def test_a_limit_sends_part_and_the_next_run_the_rest() -> None:
    ledger = ledger_of(10)
    backend = ScriptedBackend()
    first = send_issue(ledger, ENVELOPE, backend, token, limit=4)
    assert [len(b.recipients) for b in backend.requests] == [3, 1]
    assert (first.sent, first.left) == (4, 6) and ledger.issue_status() is IssueStatus.SENDING
    rest = send_issue(ledger, ENVELOPE, backend, token)
    assert (rest.sent, rest.left) == (6, 0) and ledger.issue_status() is IssueStatus.SENT
    assert backend.delivered == once_each(*range(1, 11))


def test_a_requeue_landing_after_the_queue_ran_dry_is_sent_again() -> None:
    """Both batches on the wire, a free slot, and nobody left to claim: the requeued batch's
    people are claimed again whichever batch answers first."""
    ledger = ledger_of(4)
    backend = ScriptedBackend(requeue("HTTP 503"), batch_size=2, concurrency=3)
    report = send_issue(ledger, ENVELOPE, backend, token)
    assert (report.sent, report.left, len(backend.requests)) == (4, 0, 3)
    assert backend.delivered == once_each(1, 2, 3, 4)


def test_requeued_people_do_not_count_against_the_limit() -> None:
    ledger = ledger_of(6)
    backend = ScriptedBackend(requeue("HTTP 503"))
    report = send_issue(ledger, ENVELOPE, backend, token, limit=3)
    assert (report.sent, report.left) == (3, 3) and backend.delivered == once_each(4, 5, 6)


def test_people_who_left_or_cannot_be_sent_to_are_counted_not_sent() -> None:
    ledger = ledger_of(4)
    odd = ledger.add_email("josé@example.org")
    ledger.enqueue(1)
    ledger.set_status(2, Status.UNSUBSCRIBED)
    report = send_issue(ledger, ENVELOPE, ScriptedBackend(), token)
    assert (report.sent, report.skipped, report.failed) == (3, 1, 1)
    assert ledger.rows[1, odd].status is FAILED


@pytest.mark.parametrize("concurrency", [1, 2])
def test_it_gives_up_after_max_requeues_rounds_and_sends_nobody_twice(concurrency: int) -> None:
    """A provider that turns every request away: the send stops after MAX_REQUEUES failed
    rounds in a row, with every batch settled back into the queue."""
    ledger = ledger_of(9)
    backend = ScriptedBackend(
        otherwise=requeue("HTTP 429 6 times in a row"), concurrency=concurrency
    )
    rounds = MAX_REQUEUES * concurrency + 1
    with pytest.raises(SendError, match=f"gave up after {rounds} failed requests in a row"):
        send_issue(ledger, ENVELOPE, backend, token)
    assert rounds <= len(backend.requests) <= rounds + concurrency - 1
    assert ledger.pending_batches(1) == [] and not backend.delivered
    assert ledger.delivery_counts(1) == {QUEUED: 9}
    assert ledger.issue_status() is IssueStatus.SENDING


def test_one_success_resets_the_count_of_failures_in_a_row() -> None:
    fails = [requeue("HTTP 503")] * MAX_REQUEUES
    backend = ScriptedBackend(*fails, accept, *fails, batch_size=2)
    report = send_issue(ledger_of(4), ENVELOPE, backend, token)
    assert (report.sent, report.requests) == (4, 2 * MAX_REQUEUES + 2)


# -- recovery --------------------------------------------------------------------------------


def crashed_with_two_batches(ledger: MemoryLedger) -> None:
    """A run that claimed two batches of 3 and died before recording either answer."""
    ledger.enqueue(1)
    ledger.claim(1, "old1", "scripted", 3)
    ledger.claim(1, "old2", "scripted", 3, after=3)


def test_pending_batches_are_settled_before_anything_new() -> None:
    """What the provider can tell: old1 went out for subscriber 1 only (resent to 2 and 3);
    old2 cannot be known (kept unknown, never resent)."""
    ledger = ledger_of(8)
    crashed_with_two_batches(ledger)
    found = {"old1": Resend(sent=(1,)), "old2": Unknowable("too late to cancel")}
    backend = ScriptedBackend(recovery=lambda batch: found[batch.batch_id])
    report = send_issue(ledger, ENVELOPE, backend, token)
    assert (report.recovered, report.unknown, report.sent) == (2, 3, 4)
    assert [[r.subscriber_id for r in b.recipients] for b in backend.requests] == [[2, 3, 7], [8]]
    assert ledger.delivery_counts(1) == {SENT: 5, DeliveryStatus.UNKNOWN: 3}
    assert ledger.rows[1, 4].error == "too late to cancel"
    assert ledger.batches["old1"].status is BatchStatus.CANCELLED
    assert ledger.batches["old2"].status is BatchStatus.UNKNOWN


def test_a_batch_pending_with_another_backend_stops_the_send() -> None:
    ledger = ledger_of(4)
    ledger.enqueue(1)
    ledger.claim(1, "old1", "sendgrid", 3)
    backend = ScriptedBackend()
    with pytest.raises(SendError, match="has a batch in flight with sendgrid"):
        send_issue(ledger, ENVELOPE, backend, token)
    assert backend.requests == [] and len(ledger.pending_batches(1)) == 1


# -- the claim walker ------------------------------------------------------------------------


def walker(ledger: MemoryLedger, limit: int | None = None) -> tuple[ClaimWalker, SendReport]:
    report = SendReport(1, "scripted")
    return ClaimWalker(ledger, 1, ScriptedBackend(), limit, report), report


def ids(found: Batch | None) -> list[int]:
    assert found is not None
    return [r.subscriber_id for r in found.recipients]


def test_the_walker_reads_the_queue_once_in_subscriber_order() -> None:
    ledger = ledger_of(7)
    ledger.enqueue(1)
    walk, _ = walker(ledger)
    batch_ids = (f"w{n}" for n in itertools.count(1))
    found = [walk.next(lambda: next(batch_ids), []) for _ in range(4)]
    assert [ids(b) for b in found[:3]] == [[1, 2, 3], [4, 5, 6], [7]] and found[3] is None
    assert ledger.claims == 5  # three batches, the end, and once more from the start


def test_a_requeue_behind_the_cursor_is_found_on_a_second_pass() -> None:
    ledger = ledger_of(7)
    ledger.enqueue(1)
    walk, _ = walker(ledger)
    first = walk.next(lambda: "w1", [])
    assert ids(first) == [1, 2, 3] and ids(walk.next(lambda: "w2", [])) == [4, 5, 6]
    answers = [Settlement("w1", QUEUED, error="HTTP 503")]
    walk.returned(3)  # w1's people go back, behind the cursor (at 6)
    assert ids(walk.next(lambda: "w3", answers)) == [7] and answers == []  # recorded
    assert ids(walk.next(lambda: "w4", [])) == [1, 2, 3]
    assert walk.next(lambda: "w5", []) is None


def test_the_limit_counts_people_claimed_and_not_those_returned() -> None:
    ledger = ledger_of(7)
    ledger.enqueue(1)
    walk, _ = walker(ledger, limit=4)
    assert ids(walk.next(lambda: "w1", [])) == [1, 2, 3]
    assert ids(walk.next(lambda: "w2", [])) == [4]  # the batch shrinks to the limit
    assert walk.next(lambda: "w3", []) is None
    walk.returned(3)  # w1 requeued: its people no longer count against the limit
    answers = [Settlement("w1", QUEUED, error="HTTP 503")]
    assert ids(walk.next(lambda: "w4", answers)) == [5, 6, 7]
    assert walk.next(lambda: "w5", []) is None


def test_the_walker_counts_who_it_skips_and_fails_into_the_report() -> None:
    ledger = ledger_of(3)
    ledger.add_email("josé@example.org")
    ledger.enqueue(1)
    ledger.set_status(1, Status.UNSUBSCRIBED)
    walk, report = walker(ledger)
    assert ids(walk.next(lambda: "w1", [])) == [2, 3]
    assert walk.next(lambda: "w2", []) is None
    assert (report.skipped, report.failed) == (1, 1)
