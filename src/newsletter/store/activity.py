"""Queries on what has been running: each feed's ingests, and how the last send stands.

`/healthz` reads them to say whether the daily ingest keeps up and whether a send stopped
half-way. Ingest rows older than INGEST_KEEP_DAYS go as new ones come.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, func, insert, select

from newsletter.domain.delivery import DeliveryStatus
from newsletter.domain.issue import IssueStatus
from newsletter.domain.papers import FeedReport
from newsletter.store.schema import deliveries, ingests, issues

INGEST_KEEP_DAYS = 90


@dataclass(frozen=True, slots=True)
class IngestLog:
    """How the ingests have gone: the newest one in which a feed worked, and each feed whose
    latest ingest failed, with that error."""

    last_ok: dt.datetime | None
    failing: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LastSend:
    """The newest issue whose send has started: where it stands."""

    issue: int
    status: IssueStatus
    sent_at: dt.datetime | None  # when its send finished
    counts: dict[DeliveryStatus, int]
    last_progress: dt.datetime | None  # the latest change to one of its deliveries

    @property
    def left(self) -> int:
        """Deliveries still queued or in flight."""
        return self.counts.get(DeliveryStatus.QUEUED, 0) + self.counts.get(
            DeliveryStatus.IN_FLIGHT, 0
        )


class ActivityQueries:
    """Mixed into Store: the ingest log and the last send."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def record_ingests(self, reports: Sequence[FeedReport]) -> None:
        """One row per feed's report, at the store's clock; rows past their time go."""
        now = self.clock()
        rows = [
            {
                "feed": r.feed[:200],
                "at": now,
                "ok": r.ok,
                "new": r.new,
                "updated": r.updated,
                "error": r.error,
            }
            for r in reports
        ]
        with self.engine.begin() as conn:
            if rows:
                conn.execute(insert(ingests), rows)
            keep = now - dt.timedelta(days=INGEST_KEEP_DAYS)
            conn.execute(delete(ingests).where(ingests.c.at < keep))

    def ingest_log(self) -> IngestLog:
        latest = (
            select(ingests.c.feed, func.max(ingests.c.id).label("id"))
            .group_by(ingests.c.feed)
            .subquery()
        )
        with self.engine.connect() as conn:
            last_ok = conn.execute(select(func.max(ingests.c.at)).where(ingests.c.ok)).scalar()
            failing = conn.execute(
                select(ingests.c.feed, ingests.c.error)
                .join(latest, ingests.c.id == latest.c.id)
                .where(~ingests.c.ok)
                .order_by(ingests.c.feed)
            ).all()
        return IngestLog(last_ok, {feed: error or "failed" for feed, error in failing})

    def last_send(self) -> LastSend | None:
        """The newest issue that is sending or sent; None before the first send."""
        started = (IssueStatus.SENDING, IssueStatus.SENT)
        with self.engine.connect() as conn:
            issue = conn.execute(
                select(issues.c.number, issues.c.status, issues.c.sent_at)
                .where(issues.c.status.in_(started))
                .order_by(issues.c.number.desc())
                .limit(1)
            ).first()
            if issue is None:
                return None
            of_issue = deliveries.c.issue_number == issue.number
            counts = conn.execute(
                select(deliveries.c.status, func.count())
                .where(of_issue)
                .group_by(deliveries.c.status)
            ).all()
            # max() keeps the column's type: an aware UTC time, as every store time
            last_progress = conn.execute(
                select(func.max(deliveries.c.updated_at)).where(of_issue)
            ).scalar()
        return LastSend(
            issue=issue.number,
            status=IssueStatus(issue.status),
            sent_at=issue.sent_at,
            counts={DeliveryStatus(s): n for s, n in counts},
            last_progress=last_progress,
        )
