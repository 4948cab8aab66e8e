"""Queries of the editor's review: a draft's versions (each change a new one, saved only on
the version the editor saw), approval of one version, the move to sending that only that
version passes, what the last proof showed, and the scheduler's run waiting for an answer.

Every check of a version or status is in the UPDATE's own WHERE, so two writers (two editors,
the page and the dashboard) cannot both win: the second is told the draft changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert, or_, select, update

from newsletter.domain.issue import IssueRecord, IssueStatus
from newsletter.domain.learning import Action, Decision
from newsletter.domain.review import Picks
from newsletter.errors import LockedDraftError, NotApprovedError, StaleDraftError, StoreError
from newsletter.store.schema import editor_decisions, issue_revisions, issues, papers

CHANGEABLE = (IssueStatus.DRAFT, IssueStatus.APPROVED)
REVIEW_SOURCE = "approval"  # the editor's edits before a send, from the page or the form alike
# A later word of the editor on a paper replaces their earlier one of these kinds (putting
# back a paper they removed forgets the removal), so the models learn their final word.
_REPLACES: dict[Action, tuple[Action, ...]] = {
    Action.ADDED: (Action.ADDED, Action.REMOVED, Action.MOVED),
    Action.REMOVED: (Action.ADDED, Action.REMOVED, Action.MOVED, Action.ORDERED),
    Action.MOVED: (Action.MOVED,),
    Action.ORDERED: (Action.ORDERED,),
}


class ReviewQueries:
    """Mixed into Store: the draft's versions, approval, and the waiting run."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def revise_draft(
        self,
        number: int,
        *,
        seen: int,
        record: IssueRecord,
        html: str,
        text: str,
        markdown: str,
        edits: dict[str, Any],
        source: str,
        editor: str | None,
    ) -> int:
        """The editor's change, saved as the next version if the draft is still at `seen`
        and not sending; that version. An approved draft becomes a draft again.
        StaleDraftError or LockedDraftError otherwise, with nothing saved."""
        now = self.clock()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(issues)
                .where(
                    issues.c.number == number,
                    issues.c.version == seen,
                    issues.c.status.in_(CHANGEABLE),
                )
                .values(
                    title=record.title,
                    data=record.to_json(),
                    html=html,
                    text=text,
                    markdown=markdown,
                    version=seen + 1,
                    status=IssueStatus.DRAFT,
                    edited=True,
                    approved_version=None,
                    approved_by=None,
                    approved_at=None,
                    updated_at=now,
                )
            )
            if done.rowcount != 1:
                raise _why_not(conn, number, seen, "changed")
            conn.execute(
                insert(issue_revisions).values(
                    issue_number=number,
                    version=seen + 1,
                    picks=Picks.of(record).to_json(),
                    edits=edits,
                    source=source,
                    editor=editor,
                    created_at=now,
                )
            )
        return seen + 1

    def approve_draft(self, number: int, *, version: int, editor: str | None) -> bool:
        """Approve `version`, if it is still the draft's; False if it was approved already.
        StaleDraftError or LockedDraftError otherwise."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(issues)
                .where(
                    issues.c.number == number,
                    issues.c.version == version,
                    issues.c.status == IssueStatus.DRAFT,
                )
                .values(
                    status=IssueStatus.APPROVED,
                    approved_version=version,
                    approved_by=editor,
                    approved_at=self.clock(),
                )
            )
            if done.rowcount == 1:
                return True
            row = _row(conn, number)
            if row.status == IssueStatus.APPROVED and row.version == version:
                return False  # the same answer twice (the page, then the run it resumed)
            raise _why_not(conn, number, version, "approved")

    def start_sending(self, number: int, *, approved: int | None) -> bool:
        """Fix the issue as it goes out: APPROVED (or, with `approved` None, a draft too)
        becomes SENDING, so no change lands from here on. With `approved`, only that
        version passes: NotApprovedError names what is there instead. False when its
        sending had started already (a second run only finishes it)."""
        allowed = (
            and_(
                issues.c.status == IssueStatus.APPROVED,
                issues.c.version == approved,
                issues.c.approved_version == approved,
            )
            if approved is not None
            else issues.c.status.in_(CHANGEABLE)
        )
        with self.engine.begin() as conn:
            done = conn.execute(
                update(issues)
                .where(issues.c.number == number, allowed)
                .values(status=IssueStatus.SENDING, updated_at=self.clock())
            )
            if done.rowcount == 1:
                return True
            row = _row(conn, number)
        if row.status in (IssueStatus.SENDING, IssueStatus.SENT):
            return False
        status = "approved" if row.status == IssueStatus.APPROVED else "not approved"
        raise NotApprovedError(
            f"issue {number} is at version {row.version} ({status}); "
            f"version {approved} was approved to send: nothing was sent",
            issue=number,
            version=row.version,
            status=row.status,
        )

    def mark_proofed(self, number: int, version: int) -> None:
        """A proof of `version` went out: changes are shown against it from now on."""
        with self.engine.begin() as conn:
            conn.execute(
                update(issues).where(issues.c.number == number).values(proofed_version=version)
            )

    def revision_picks(self, number: int, version: int) -> Picks | None:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(issue_revisions.c.picks).where(
                    issue_revisions.c.issue_number == number, issue_revisions.c.version == version
                )
            ).scalar_one_or_none()
        return None if found is None else Picks.from_json(found)

    def built_picks(self, number: int) -> Picks:
        """The picks of the draft's latest build: what the editor's decisions are against."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(issue_revisions.c.picks)
                .where(
                    issue_revisions.c.issue_number == number, issue_revisions.c.source == "build"
                )
                .order_by(issue_revisions.c.version.desc())
                .limit(1)
            ).scalar_one_or_none()
        return Picks.from_json(found)

    def set_waiting(self, number: int, run_id: str, until: dt.datetime) -> None:
        """A scheduler's run is paused for the editor's answer on this issue until `until`."""
        with self.engine.begin() as conn:
            conn.execute(
                update(issues)
                .where(issues.c.number == number)
                .values(waiting_run=run_id, waiting_until=until)
            )

    def clear_waiting(self, number: int | None, run_id: str | None = None) -> None:
        """No run waits any more for issue `number` (only that run's mark, when named: a
        newer one's stays); with `number` None, no issue waits for that run."""
        if number is None and run_id is None:
            raise ValueError("name the issue or the run")
        query = update(issues)
        if number is not None:
            query = query.where(issues.c.number == number)
        if run_id is not None:
            query = query.where(issues.c.waiting_run == run_id)
        with self.engine.begin() as conn:
            conn.execute(query.values(waiting_run=None, waiting_until=None))

    def last_listed(self, start: dt.date, end: dt.date) -> dt.date | None:
        """The last day any paper was listed in [start, end]: where the issue's title ends."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.max(papers.c.listed_on)).where(
                    papers.c.listed_on >= start, papers.c.listed_on <= end
                )
            ).scalar_one_or_none()
        return found if isinstance(found, dt.date) else None

    def removed_by_editor(self, week_start: dt.date) -> list[str]:
        """The papers the editor took out of the week's issue (and has not put back)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(editor_decisions.c.arxiv_id).where(
                    editor_decisions.c.week_start == week_start,
                    editor_decisions.c.source == REVIEW_SOURCE,
                    editor_decisions.c.action == Action.REMOVED,
                )
            ).all()
        return [r.arxiv_id for r in rows]

    def record_review(
        self,
        decisions: Sequence[Decision],
        forget: Sequence[tuple[dt.date, str, tuple[Action, ...]]] = (),
    ) -> None:
        """The editor's review decisions (source "approval"), each replacing their earlier
        word on the same paper that it takes back (an order: on the same section); `forget`
        (week, arXiv id, actions) takes back earlier words without a new one: a paper put
        back where the build had it is no decision at all."""
        if not decisions and not forget:
            return
        now = self.clock()
        with self.engine.begin() as conn:
            for week, arxiv_id, actions in forget:
                conn.execute(delete(editor_decisions).where(*_words(week, arxiv_id, actions)))
            for d in decisions:
                conn.execute(
                    delete(editor_decisions).where(
                        *_words(d.week_start, d.arxiv_id, _REPLACES[d.action], d.section)
                    )
                )
            if decisions:
                conn.execute(
                    insert(editor_decisions),
                    [
                        {
                            "week_start": d.week_start,
                            "arxiv_id": d.arxiv_id,
                            "action": d.action,
                            "section": d.section,
                            "source": REVIEW_SOURCE,
                            "position": d.position,
                            "decided_at": now,
                        }
                        for d in decisions
                    ],
                )


def _words(
    week: dt.date, arxiv_id: str, actions: tuple[Action, ...], section: str | None = None
) -> list[Any]:
    """The editor's review decisions of these kinds on a paper (an order: on its section)."""
    target = editor_decisions.c.arxiv_id == arxiv_id
    if actions == (Action.ORDERED,) and section is not None:
        target = or_(target, editor_decisions.c.section == section)
    return [
        editor_decisions.c.week_start == week,
        editor_decisions.c.source == REVIEW_SOURCE,
        editor_decisions.c.action.in_(actions),
        target,
    ]


def _row(conn: Connection, number: int) -> Any:
    row = conn.execute(
        select(issues.c.status, issues.c.version).where(issues.c.number == number)
    ).first()
    if row is None:
        raise StoreError(f"there is no issue {number}", hint="build it first: newsletter build")
    return row


def _why_not(conn: Connection, number: int, seen: int, what: str) -> Exception:
    row = _row(conn, number)
    if row.status not in CHANGEABLE:
        return LockedDraftError(
            f"issue {number} is {row.status}: it can no longer be {what}",
            issue=number,
            version=row.version,
            status=row.status,
        )
    return StaleDraftError(
        f"issue {number} changed since version {seen}: it is at version {row.version} now; "
        f"nothing was {what}",
        issue=number,
        version=row.version,
        status=row.status,
    )
