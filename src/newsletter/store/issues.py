"""Queries on issues: numbered drafts, one per week, and what was sent. A build is a new
version of the week's draft (the editor's review adds the others: store/review.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update

from newsletter.domain.issue import IssueRecord, IssueStatus
from newsletter.domain.review import Picks
from newsletter.errors import StoreError
from newsletter.store.schema import issue_revisions, issues


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
    version: int = 1  # one more with each build and each change the editor makes
    edited: bool = False  # the editor changed it since its build: a weekly run keeps it as is
    proofed_version: int | None = None  # the version the last proof showed (or the build)
    approved_version: int | None = None  # set while APPROVED: the version approved
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    waiting_run: str | None = None  # a scheduler's run paused for the editor's answer
    waiting_until: dt.datetime | None = None  # … until its pause times out

    @property
    def picks(self) -> Picks:
        return Picks.of(self.record)

    def waiting(self, now: dt.datetime) -> str | None:
        """The run waiting for the editor's answer, if its pause has not timed out."""
        if self.waiting_run and (self.waiting_until is None or self.waiting_until > now):
            return self.waiting_run
        return None


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
        """Create or replace the week's draft as a new version (the build's own), its picks
        kept as the version's, and the baseline that changes are shown against; a sent issue
        is never rewritten."""
        now = self.clock()
        values = {
            "title": title,
            "data": record.to_json(),
            "html": html,
            "text": text,
            "markdown": markdown,
            "updated_at": now,
            "status": IssueStatus.DRAFT,
            "edited": False,
            "approved_version": None,
            "approved_by": None,
            "approved_at": None,
        }
        with self.engine.begin() as conn:
            row = conn.execute(select(issues).where(issues.c.week_start == week_start)).first()
            if row is None:
                version = 1
                conn.execute(
                    insert(issues).values(
                        number=number,
                        week_start=week_start,
                        created_at=now,
                        version=version,
                        proofed_version=version,
                        **values,
                    )
                )
            elif not IssueStatus(row.status).rebuildable:
                raise StoreError(
                    f"issue {row.number} for the week of {week_start} was already {row.status}",
                    hint="a sent issue stays as it went out; build another week",
                )
            else:
                number, version = row.number, row.version + 1
                conn.execute(
                    update(issues)
                    .where(issues.c.number == number)
                    .values(version=version, proofed_version=version, **values)
                )
            conn.execute(
                insert(issue_revisions).values(
                    issue_number=number,
                    version=version,
                    picks=Picks.of(record).to_json(),
                    edits=None,
                    source="build",
                    editor=None,
                    created_at=now,
                )
            )

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
        version=row.version,
        edited=bool(row.edited),
        proofed_version=row.proofed_version,
        approved_version=row.approved_version,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        waiting_run=row.waiting_run,
        waiting_until=row.waiting_until,
    )
