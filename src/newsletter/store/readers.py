"""Queries on what readers tell us directly: their votes on papers, and the welcome mail's
ledger (one row per subscriber: recorded before the mail goes, settled after)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.domain.delivery import DeliveryStatus
from newsletter.domain.votes import Choice, Tally, Vote
from newsletter.domain.welcome import WelcomeRecord, WelcomeStatus
from newsletter.store.schema import deliveries, votes, welcomes

__all__ = ["ReaderQueries"]


class ReaderQueries:
    """Mixed into Store: votes and welcome mails."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    # -- votes -----------------------------------------------------------------------------

    def record_vote(
        self, issue_number: int, subscriber_id: int, arxiv_id: str, choice: Choice
    ) -> tuple[Vote, Vote | None]:
        """Keep the reader's vote on the paper, replacing an earlier one: (the vote, the one it
        replaced). `audience` says whether the issue was delivered to them."""
        now = self.clock()
        key = and_(
            votes.c.issue_number == issue_number,
            votes.c.subscriber_id == subscriber_id,
            votes.c.arxiv_id == arxiv_id,
        )
        with self.engine.begin() as conn:
            before = conn.execute(select(votes).where(key)).first()
            audience = _delivered(conn, issue_number, subscriber_id)
            values = {"choice": choice.value, "audience": audience, "voted_at": now}
            dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
            statement = dialect.insert(votes).values(
                issue_number=issue_number, subscriber_id=subscriber_id, arxiv_id=arxiv_id, **values
            )
            # two presses at once: the later write wins, as a later vote does
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["issue_number", "subscriber_id", "arxiv_id"], set_=values
                )
            )
        vote = Vote(issue_number, subscriber_id, arxiv_id, choice, now, audience)
        return vote, _vote(before) if before is not None else None

    def vote_of(self, issue_number: int, subscriber_id: int, arxiv_id: str) -> Vote | None:
        query = select(votes).where(
            votes.c.issue_number == issue_number,
            votes.c.subscriber_id == subscriber_id,
            votes.c.arxiv_id == arxiv_id,
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _vote(row) if row is not None else None

    def vote_tallies(self, issue_number: int, *, audience: bool = True) -> dict[str, Tally]:
        """Each paper's votes (arXiv id → up and down); with `audience`, only the votes of
        readers the issue was delivered to, as its report counts them."""
        query = select(votes.c.arxiv_id, votes.c.choice).where(votes.c.issue_number == issue_number)
        if audience:
            query = query.where(votes.c.audience.is_(True))
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        with self.engine.connect() as conn:
            for arxiv_id, choice in conn.execute(query):
                counts[str(arxiv_id)][0 if choice == Choice.UP else 1] += 1
        return {key: Tally(up, down) for key, (up, down) in counts.items()}

    def votes_on_issues(self, issue_numbers: Collection[int]) -> dict[int, dict[str, Tally]]:
        """Every vote on these issues' papers, by issue and paper (welcome mails' included:
        what readers think of a paper is the same wherever they read it)."""
        wanted = sorted(set(issue_numbers))
        found: dict[int, dict[str, Tally]] = {n: {} for n in wanted}
        if not wanted:
            return found
        query = select(votes.c.issue_number, votes.c.arxiv_id, votes.c.choice).where(
            votes.c.issue_number.in_(wanted)
        )
        with self.engine.connect() as conn:
            for number, arxiv_id, choice in conn.execute(query):
                up = choice == Choice.UP
                found[number][arxiv_id] = found[number].get(arxiv_id, Tally()) + Tally(
                    int(up), int(not up)
                )
        return found

    # -- the welcome mail's ledger ---------------------------------------------------------

    def claim_welcome(
        self, subscriber_id: int, issue_number: int, backend: str
    ) -> WelcomeRecord | None:
        """Record the subscriber's welcome as pending, before it goes: the new row, or None
        when they have one already (sent, pending or unknown: it must not go again). A
        failed one is claimed again."""
        now = self.clock()
        values = {
            "issue_number": issue_number,
            "status": WelcomeStatus.PENDING.value,
            "backend": backend,
            "provider_id": None,
            "error": None,
            "updated_at": now,
        }
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        first = (
            dialect.insert(welcomes)
            .values(subscriber_id=subscriber_id, created_at=now, **values)
            .on_conflict_do_nothing(index_elements=["subscriber_id"])
        )
        again = (
            update(welcomes)
            .where(
                welcomes.c.subscriber_id == subscriber_id,
                welcomes.c.status == WelcomeStatus.FAILED.value,
            )
            .values(**values)
        )
        with self.engine.begin() as conn:
            # only one of two confirmations at once gets the row: the insert, or the update
            # of a failed one, each a single statement
            done = conn.execute(first.execution_options(preserve_rowcount=True))
            if not done.rowcount:
                done = conn.execute(again.execution_options(preserve_rowcount=True))
            if not done.rowcount:
                return None
            row = conn.execute(
                select(welcomes).where(welcomes.c.subscriber_id == subscriber_id)
            ).one()
        return _welcome(row)

    def settle_welcome(
        self,
        subscriber_id: int,
        status: WelcomeStatus,
        *,
        provider_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """A pending welcome's outcome."""
        with self.engine.begin() as conn:
            conn.execute(
                update(welcomes)
                .where(
                    welcomes.c.subscriber_id == subscriber_id,
                    welcomes.c.status == WelcomeStatus.PENDING.value,
                )
                .values(
                    status=status.value,
                    provider_id=provider_id,
                    error=error[:1000] if error else None,
                    updated_at=self.clock(),
                )
            )

    def welcome_of(self, subscriber_id: int) -> WelcomeRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(welcomes).where(welcomes.c.subscriber_id == subscriber_id)
            ).first()
        return _welcome(row) if row is not None else None

    def received_issue(self, issue_number: int, subscriber_id: int) -> bool:
        """Whether the issue was sent to the subscriber (a delivery row marked sent)."""
        with self.engine.connect() as conn:
            return _delivered(conn, issue_number, subscriber_id)


def _delivered(conn: Connection, issue_number: int, subscriber_id: int) -> bool:
    found = exists().where(
        deliveries.c.issue_number == issue_number,
        deliveries.c.subscriber_id == subscriber_id,
        deliveries.c.status == DeliveryStatus.SENT.value,
    )
    return bool(conn.execute(select(found)).scalar())


def _vote(row: Row[Any]) -> Vote:
    return Vote(
        row.issue_number,
        row.subscriber_id,
        row.arxiv_id,
        Choice(row.choice),
        row.voted_at,
        bool(row.audience),
    )


def _welcome(row: Row[Any]) -> WelcomeRecord:
    return WelcomeRecord(
        subscriber_id=row.subscriber_id,
        issue_number=row.issue_number,
        status=WelcomeStatus(row.status),
        backend=row.backend,
        created_at=row.created_at,
        updated_at=row.updated_at,
        provider_id=row.provider_id,
        error=row.error,
    )
