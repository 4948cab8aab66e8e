"""Subject tests in the store (SQLite and PostgreSQL): the sample queued with its variants in
one step, never over a send already started; each variant's numbers from the events (human
opens only, clicks on the issue's content only); a decision kept once; and a store of the
last release upgraded with every delivery intact."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsletter.domain.delivery import DeliveryStatus, Settlement
from newsletter.domain.subject_test import NO_SIGNAL, Decision, Metric, SubjectTest, VariantCounts
from newsletter.engagement.ingest import apply_events
from newsletter.errors import SubjectTestError
from newsletter.store import Store
from newsletter.store.schema import deliveries, subject_tests
from tests.support.deliveries import add_issue, add_people
from tests.support.paths import FIXTURES

NOW = dt.datetime(2024, 11, 25, 8, 0, tzinfo=dt.UTC)


def new_test(sample_size: int = 4) -> SubjectTest:
    return SubjectTest(1, ("A line", "B line"), Metric.CLICKS, 0.5, 4.0, 2, sample_size, NOW)


def test_the_sample_is_queued_with_its_variants_once(any_store: Store) -> None:
    add_issue(any_store)
    add_people(any_store, 8)
    assert any_store.audience_ids(1) == list(range(1, 9))
    any_store.start_subject_test(new_test(), {2: 0, 3: 1, 5: 0, 7: 1})
    any_store.start_subject_test(new_test(99), {1: 0})  # a second start: the first stands
    found = any_store.subject_test(1)
    assert found is not None and found.sample_size == 4 and found.subjects == ("A line", "B line")
    assert any_store.get_issue(1).status == "sending"  # type: ignore[union-attr]
    assert any_store.delivery_counts(1) == {DeliveryStatus.QUEUED: 4}
    assert any_store.sample_left(1) == 4 and any_store.audience_ids(1) == [1, 4, 6, 8]
    claimed = any_store.claim(1, "b1", "outbox", 10).batch
    assert [(r.subscriber_id, r.variant) for r in claimed.recipients] == [
        (2, 0),
        (3, 1),
        (5, 0),
        (7, 1),
    ]
    assert [r.variant for r in any_store.pending_batches(1)[0].recipients] == [0, 1, 0, 1]
    any_store.settle([Settlement("b1", DeliveryStatus.SENT, "msg")])
    assert any_store.sample_left(1) == 0
    any_store.enqueue(1)  # the rest: everyone without a delivery, nobody of the sample
    assert any_store.delivery_counts(1) == {DeliveryStatus.SENT: 4, DeliveryStatus.QUEUED: 4}


def test_no_test_over_a_send_already_started(any_store: Store) -> None:
    add_issue(any_store)
    add_people(any_store, 3)
    any_store.enqueue(1)
    with pytest.raises(SubjectTestError, match="already being sent without a subject test"):
        any_store.start_subject_test(new_test(), {1: 0, 2: 1})
    assert any_store.subject_test(1) is None


def test_each_variant_counts_human_opens_and_content_clicks(any_store: Store) -> None:
    add_issue(any_store)
    add_people(any_store, 6)
    any_store.start_subject_test(new_test(), {1: 0, 2: 0, 3: 1, 4: 1})
    batch = any_store.claim(1, "b1", "outbox", 10).batch
    any_store.settle([Settlement(batch.batch_id, DeliveryStatus.SENT)])
    any_store.enqueue(1)
    events = [
        ("open", 1, {"sg_machine_open": True}),  # Apple's proxy only: no open
        ("open", 2, {}),
        ("open", 2, {}),  # the same reader again
        ("click", 2, {"url": "https://news.example/issues/1"}),  # view in browser: apart
        ("open", 3, {}),
        ("click", 3, {"url": "https://arxiv.org/abs/2411.00001"}),
        ("click", 4, {"url": "https://example.com/elsewhere"}),
        ("click", 5, {"url": "https://example.com/elsewhere"}),  # not in the sample
    ]
    raw = [
        {
            "event": kind,
            "email": f"reader{who - 1}@example.org",
            "timestamp": int(NOW.timestamp()) + n,
            "sg_event_id": f"e{n}",
            "issue": "1",
            "subscriber": str(who),
            **extra,
        }
        for n, (kind, who, extra) in enumerate(events)
    ]
    apply_events(any_store, raw, NOW + dt.timedelta(hours=1), base_url="https://news.example")
    assert any_store.variant_counts(1, 2) == (VariantCounts(2, 1, 0), VariantCounts(2, 1, 2))
    assert any_store.variant_counts(1, 3)[2] == VariantCounts()  # a subject nobody got
    assert [v for _, _, v in any_store.sent_with_variants(1)] == [0, 0, 1, 1]


def test_a_decision_is_kept_once(any_store: Store) -> None:
    add_issue(any_store)
    any_store.start_subject_test(new_test(0), {})
    any_store.sample_sent(1)
    first = any_store.subject_test(1)
    assert first is not None and first.ready_at == first.sample_sent_at + dt.timedelta(hours=4)  # type: ignore[operator]
    any_store.decide_subject_test(1, Decision(0, NO_SIGNAL, False, "none yet"))
    any_store.decide_subject_test(1, Decision(1, "best click rate", True, "B won"))
    any_store.sample_sent(1)  # kept as it was
    found = any_store.subject_test(1)
    assert found is not None and found.decision is not None and found.decision.winner == 0
    assert found.sample_sent_at == first.sample_sent_at and found.winner == "A line"
    assert found.told_at is None
    any_store.subject_test_told(1)
    assert any_store.subject_test(1).told_at is not None  # type: ignore[union-attr]


def test_a_release_store_upgrades_with_every_delivery_in_no_test(tmp_path: Path) -> None:
    path = tmp_path / "release.sqlite"
    with gzip.open(FIXTURES / "stores" / "release-0.1.sqlite.gz") as packed, path.open("wb") as f:
        shutil.copyfileobj(packed, f)
    with Store(f"sqlite:///{path}") as store:
        with store.engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(deliveries)).scalar_one()
        store.migrate()
        with store.engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.variant)).scalars().all()
            tests = conn.execute(select(func.count()).select_from(subject_tests)).scalar_one()
    assert len(rows) == before > 0 and set(rows) == {None} and tests == 0
