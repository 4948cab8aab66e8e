"""Queries on issues: numbered drafts, one per week, and what was sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update

from newsletter.domain.issue import IssueRecord, IssueStatus
from newsletter.errors import StoreError
from newsletter.store.schema import issues


@dataclass(frozen=True, slots=True)
class StoredIssue:
    number: int
    week_start: dt.date
    title: str
    status: IssueStatus
    record: IssueRecord
    html: str
    text: str
    markdown: str
    created_at: dt.datetime
    updated_at: dt.datetime
    sent_at: dt.datetime | None


class IssueQueries:
    """Mixed into Store: everything about issues."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def issue_number_for(self, week_start: dt.date) -> int:
        """The week's number: its draft's if it has one, else the next free one."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(issues.c.number).where(issues.c.week_start == week_start)
            ).scalar_one_or_none()
            if found is not None:
                return int(found)
            top = conn.execute(select(func.max(issues.c.number))).scalar_one_or_none()
        return int(top or 0) + 1

    def save_draft(
        self,
        *,
        number: int,
        week_start: dt.date,
        title: str,
        record: IssueRecord,
        html: str,
        text: str,
        markdown: str,
    ) -> None:
        """Create or replace the week's draft; a sent issue is never rewritten."""
        now = self.clock()
        values = {
            "title": title,
            "data": record.to_json(),
            "html": html,
            "text": text,
            "markdown": markdown,
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            row = conn.execute(select(issues).where(issues.c.week_start == week_start)).first()
            if row is None:
                conn.execute(
                    insert(issues).values(
                        number=number,
                        week_start=week_start,
                        status=IssueStatus.DRAFT,
                        created_at=now,
                        **values,
                    )
                )
            elif not IssueStatus(row.status).rebuildable:
                raise StoreError(
                    f"issue {row.number} for the week of {week_start} was already {row.status}",
                    hint="a sent issue stays as it went out; build another week",
                )
            else:
                conn.execute(update(issues).where(issues.c.number == row.number).values(**values))

    def get_issue(self, number: int) -> StoredIssue | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(issues).where(issues.c.number == number)).first()
        return _stored(row) if row else None

    def issue_for_week(self, week_start: dt.date) -> StoredIssue | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(issues).where(issues.c.week_start == week_start)).first()
        return _stored(row) if row else None


def _stored(row: Row[Any]) -> StoredIssue:
    return StoredIssue(
        number=row.number,
        week_start=row.week_start,
        title=row.title,
        status=IssueStatus(row.status),
        record=IssueRecord.from_json(row.data),
        html=row.html,
        text=row.text,
        markdown=row.markdown,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
    )
