"""Queries for the public archive: the issues that went out, and their pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select

from newsletter.domain.issue import IssueRecord, IssueStatus
from newsletter.store.schema import issues

# Issues that went out to someone: their page is public ("view in browser" links work
# while a long send is still going); the list and the feed show finished ones only.
OUT = (IssueStatus.SENDING, IssueStatus.SENT)


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """A sent issue as the archive and the feed list it (no rendered bodies)."""

    number: int
    title: str
    week_start: dt.date
    sent_at: dt.datetime | None
    record: IssueRecord


class ArchiveQueries:
    """Mixed into Store: the public archive."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def sent_issues(self) -> list[ArchiveEntry]:
        """Every issue whose send finished, newest first."""
        query = (
            select(
                issues.c.number,
                issues.c.title,
                issues.c.week_start,
                issues.c.sent_at,
                issues.c.data,
            )
            .where(issues.c.status == IssueStatus.SENT)
            .order_by(issues.c.week_start.desc(), issues.c.number.desc())
        )
        with self.engine.connect() as conn:
            return [
                ArchiveEntry(
                    r.number, r.title, r.week_start, r.sent_at, IssueRecord.from_json(r.data)
                )
                for r in conn.execute(query).all()
            ]

    def published_issue_html(self, number: int) -> str | None:
        """The stored HTML of an issue that went out to someone; None for drafts and unknown numbers."""
        query = select(issues.c.html).where(issues.c.number == number, issues.c.status.in_(OUT))
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar_one_or_none()
        return str(found) if found is not None else None
