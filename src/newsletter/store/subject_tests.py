"""Queries of subject-line tests: a test's sample fixed in the ledger with its variants, the
test's state (sample sent, decided, editors told), and each variant's numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, and_, case, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from newsletter.domain.delivery import DeliveryStatus
from newsletter.domain.events import EventKind, LinkKind
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subject_test import Decision, Metric, SubjectTest, VariantCounts
from newsletter.domain.subscriber import Status
from newsletter.errors import SubjectTestError
from newsletter.store.schema import deliveries, email_events, issues, subject_tests, subscribers

ROWS_PER_INSERT = 5000
LEFT = (DeliveryStatus.QUEUED, DeliveryStatus.IN_FLIGHT)


class SubjectTestQueries:
    """Mixed into Store: subject-line tests."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def audience_ids(self, issue_number: int) -> list[int]:
        """Active subscribers the issue has no delivery for yet, by id: who a send would queue."""
        already = exists().where(
            and_(
                deliveries.c.issue_number == issue_number,
                deliveries.c.subscriber_id == subscribers.c.id,
            )
        )
        query = (
            select(subscribers.c.id)
            .where(subscribers.c.status == Status.ACTIVE, ~already)
            .order_by(subscribers.c.id)
        )
        with self.engine.connect() as conn:
            return [int(i) for i in conn.execute(query).scalars()]

    def start_subject_test(self, test: SubjectTest, sample: Mapping[int, int]) -> None:
        """Record the test and queue its sample, each delivery with its variant, in one
        transaction; nothing if the issue has a test already (a run racing this one), and
        SubjectTestError if it has deliveries without one."""
        number, now = test.issue_number, self.clock()
        rows = [
            {
                "issue_number": number,
                "subscriber_id": subscriber_id,
                "status": DeliveryStatus.QUEUED.value,
                "attempts": 0,
                "updated_at": now,
                "variant": variant,
            }
            for subscriber_id, variant in sorted(sample.items())
        ]
        try:
            with self.engine.begin() as conn:
                tested = select(subject_tests.c.issue_number).where(
                    subject_tests.c.issue_number == number
                )
                if conn.execute(tested).first() is not None:
                    return  # started by another run: go on with theirs
                started = select(deliveries.c.subscriber_id).where(
                    deliveries.c.issue_number == number
                )
                if conn.execute(started.limit(1)).first() is not None:
                    raise SubjectTestError(
                        f"issue {number} is already being sent without a subject test",
                        issue=number,
                        hint="finish that send without --test-subjects",
                    )
                conn.execute(insert(subject_tests).values(_row(test)))
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    conn.execute(insert(deliveries), rows[start : start + ROWS_PER_INSERT])
                conn.execute(
                    update(issues)
                    .where(
                        issues.c.number == number,
                        issues.c.status.in_(IssueStatus.moving_to(IssueStatus.SENDING)),
                    )
                    .values(status=IssueStatus.SENDING, updated_at=now)
                )
        except IntegrityError:  # another run recorded it at the same moment: theirs stands
            if self.subject_test(number) is None:
                raise

    def subject_test(self, issue_number: int) -> SubjectTest | None:
        query = select(subject_tests).where(subject_tests.c.issue_number == issue_number)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return SubjectTest(
            issue_number=row.issue_number,
            subjects=tuple(row.subjects),
            metric=Metric(row.metric),
            share=row.share,
            wait_hours=row.wait_hours,
            min_per_variant=row.min_per_variant,
            sample_size=row.sample_size,
            started_at=row.started_at,
            sample_sent_at=row.sample_sent_at,
            decided_at=row.decided_at,
            decision=Decision.from_json(row.decision) if row.decision else None,
            told_at=row.told_at,
        )

    def sample_left(self, issue_number: int) -> int:
        """Deliveries of the sample still queued or in flight."""
        query = (
            select(func.count())
            .select_from(deliveries)
            .where(
                deliveries.c.issue_number == issue_number,
                deliveries.c.variant.is_not(None),
                deliveries.c.status.in_(LEFT),
            )
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def sample_sent(self, issue_number: int) -> None:
        """The sample is all settled: the wait starts now (kept if set already)."""
        self._set(issue_number, "sample_sent_at", sample_sent_at=self.clock())

    def decide_subject_test(self, issue_number: int, decision: Decision) -> None:
        """Record the decision once: a second one (a race, a rerun) leaves the first."""
        self._set(issue_number, "decided_at", decided_at=self.clock(), decision=decision.to_json())

    def subject_test_told(self, issue_number: int) -> None:
        self._set(issue_number, "told_at", told_at=self.clock())

    def variant_counts(self, issue_number: int, variants: int) -> tuple[VariantCounts, ...]:
        """Each variant's sample: sent, unique human openers, unique clickers on content."""
        d, e = deliveries.c, email_events.c
        of_sample = and_(d.issue_number == issue_number, d.variant.is_not(None))
        sent = select(d.variant, func.count()).where(of_sample, d.status == DeliveryStatus.SENT)
        content = or_(
            e.target.is_(None), e.target.not_in([LinkKind.VIEW.value, LinkKind.UNSUBSCRIBE.value])
        )
        opened = and_(e.kind == EventKind.OPEN.value, e.machine.is_(False))
        clicked = and_(e.kind == EventKind.CLICK.value, content)
        readers = (
            select(
                d.variant,
                func.count(func.distinct(case((opened, e.subscriber_id)))),
                func.count(func.distinct(case((clicked, e.subscriber_id)))),
            )
            .select_from(deliveries.join(email_events, _events_of_delivery()))
            .where(of_sample, e.kind.in_([EventKind.OPEN.value, EventKind.CLICK.value]))
            .group_by(d.variant)
        )
        found: dict[int, list[int]] = {k: [0, 0, 0] for k in range(variants)}
        with self.engine.connect() as conn:
            for variant, n in conn.execute(sent.group_by(d.variant)).all():
                found.setdefault(int(variant), [0, 0, 0])[0] = int(n)
            for variant, opens, clicks in conn.execute(readers).all():
                found.setdefault(int(variant), [0, 0, 0])[1:] = [int(opens), int(clicks)]
        return tuple(VariantCounts(*found[k]) for k in sorted(found))

    def sent_with_variants(self, issue_number: int) -> list[tuple[int, str, int | None]]:
        """(subscriber id, address, variant) of everyone the issue was sent to, by id."""
        query = (
            select(subscribers.c.id, subscribers.c.email, deliveries.c.variant)
            .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
            .where(
                deliveries.c.issue_number == issue_number,
                deliveries.c.status == DeliveryStatus.SENT,
            )
            .order_by(subscribers.c.id)
        )
        with self.engine.connect() as conn:
            return [(int(i), str(e), v) for i, e, v in conn.execute(query).all()]

    def _set(self, issue_number: int, unset: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(subject_tests)
                .where(
                    subject_tests.c.issue_number == issue_number,
                    subject_tests.c[unset].is_(None),
                )
                .values(**values)
            )


def _events_of_delivery() -> Any:
    return and_(
        email_events.c.issue_number == deliveries.c.issue_number,
        email_events.c.subscriber_id == deliveries.c.subscriber_id,
    )


def _row(test: SubjectTest) -> dict[str, Any]:
    return {
        "issue_number": test.issue_number,
        "subjects": list(test.subjects),
        "metric": test.metric.value,
        "share": test.share,
        "wait_hours": test.wait_hours,
        "min_per_variant": test.min_per_variant,
        "sample_size": test.sample_size,
        "started_at": test.started_at,
        "sample_sent_at": test.sample_sent_at,
        "decided_at": test.decided_at,
        "decision": test.decision.to_json() if test.decision else None,
        "told_at": test.told_at,
    }
