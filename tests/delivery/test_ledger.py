"""The in-memory ledger the send-loop tests use behaves as the SQL store does: one script,
run against it and the store (SQLite, and PostgreSQL when CI has it), with the same answers
expected of each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.delivery.ledger import Ledger
from newsletter.domain.delivery import Batch, BatchStatus, Claimed, DeliveryStatus, Recipient
from newsletter.domain.delivery import Settlement as S
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subscriber import Status
from newsletter.store import Store
from tests.support.deliveries import add_emails, add_issue, add_people
from tests.support.ledger import MemoryLedger
from tests.support.stores import BACKENDS, migrated, store_url

SENT, QUEUED, FAILED = DeliveryStatus.SENT, DeliveryStatus.QUEUED, DeliveryStatus.FAILED
ODD = "josé@example.org"  # stored before addresses were checked: no backend can send to it


class Setup:
    """The same people and issue in either ledger: readers 1-6, then ODD as 7."""

    def __init__(self, ledger: Ledger, store: Store | None, memory: MemoryLedger | None) -> None:
        self.ledger, self.store, self.memory = ledger, store, memory

    def people(self) -> None:
        if self.store is not None:
            add_issue(self.store)
            add_people(self.store, 6)
            add_emails(self.store, [ODD], "active")
        else:
            assert self.memory is not None
            self.memory.add_issue()
            self.memory.add_people(6)
            self.memory.add_email(ODD)

    def leaves(self, subscriber_id: int) -> None:
        if self.store is not None:
            with self.store.engine.begin() as conn:
                conn.exec_driver_sql(
                    f"UPDATE subscribers SET status = 'unsubscribed' WHERE id = {subscriber_id}"
                )
        else:
            assert self.memory is not None
            self.memory.set_status(subscriber_id, Status.UNSUBSCRIBED)

    def issue_status(self) -> IssueStatus:
        if self.store is not None:
            stored = self.store.get_issue(1)
            assert stored is not None
            return stored.status
        assert self.memory is not None
        return self.memory.issue_status()


@pytest.fixture(params=[pytest.param("memory", id="memory"), *BACKENDS])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    if request.param == "memory":
        memory = MemoryLedger()
        yield Setup(memory, None, memory)
        return
    with migrated(store_url(request.param, tmp_path)) as store:
        yield Setup(store, store, None)


def reader(n: int) -> Recipient:
    return Recipient(n, f"reader{n - 1}@example.org", f"Reader {n - 1}")


def batch(batch_id: str, *ids: int) -> Batch:
    return Batch(batch_id, 1, "x", BatchStatus.PENDING, tuple(reader(n) for n in ids))


def test_the_queue_is_claimed_settled_and_finished_alike(setup: Setup) -> None:
    """Claims walk by subscriber id after the cursor; who left is skipped and an address no
    backend takes fails at claim time; a settlement moves only its batch's in-flight rows;
    the issue moves draft → sending → sent."""
    ledger = setup.ledger
    setup.people()
    assert ledger.enqueue(1) == 7 and setup.issue_status() is IssueStatus.SENDING
    setup.leaves(2)
    assert ledger.claim(1, "b1", "x", 3) == Claimed(batch("b1", 1, 3), 1, 0, 3)
    assert ledger.claim(1, "b2", "x", 3, after=3) == Claimed(batch("b2", 4, 5, 6), 0, 0, 6)
    # b1's answer is recorded with the next claim, which finds only the odd address
    assert ledger.claim(1, "b3", "x", 3, after=6, settle=[S("b1", SENT, "m1")]) == Claimed(
        Batch("b3", 1, "x", BatchStatus.PENDING), 0, 1, 7
    )
    assert ledger.claim(1, "b4", "x", 3, after=7) == Claimed(
        Batch("b4", 1, "x", BatchStatus.PENDING), 0, 0, None
    )
    assert ledger.pending_batches(1) == [batch("b2", 4, 5, 6)]
    ledger.settle([S("b2", QUEUED, error="HTTP 503; the batch was cancelled")])
    assert ledger.pending_batches() == []
    assert ledger.claim(1, "b5", "x", 2) == Claimed(batch("b5", 4, 5), 0, 0, 5)
    ledger.delivery_sent(1, 4, "p4")  # a per-message backend settles each one ...
    ledger.delivery_failed(1, 5, "550 mailbox unavailable")
    ledger.settle([S("b5", None)])  # ... and the batch only closes
    assert ledger.delivery_counts(1) == {SENT: 3, FAILED: 2, QUEUED: 1, DeliveryStatus.SKIPPED: 1}
    assert not ledger.finish_issue(1) and setup.issue_status() is IssueStatus.SENDING
    assert ledger.claim(1, "b6", "x", 3).batch == batch("b6", 6)
    assert ledger.pending_batches(1) == [batch("b6", 6)]
    ledger.settle([S("b6", DeliveryStatus.UNKNOWN, error="too late to cancel")])
    assert ledger.finish_issue(1) and setup.issue_status() is IssueStatus.SENT
    assert ledger.enqueue(1) == 0 and setup.issue_status() is IssueStatus.SENT
    assert ledger.delivery_counts(1) == {
        SENT: 3,
        FAILED: 2,
        DeliveryStatus.UNKNOWN: 1,
        DeliveryStatus.SKIPPED: 1,
    }


def test_an_issue_with_nobody_to_send_to_is_sent_at_once(setup: Setup) -> None:
    """finish_issue on a draft with an empty audience: sent straight from draft."""
    setup.people()
    assert setup.ledger.finish_issue(1) and setup.issue_status() is IssueStatus.SENT
    assert setup.ledger.enqueue(1) == 7 and setup.issue_status() is IssueStatus.SENT
