"""Readers' votes: the paper a vote link names (what its page shows), recording a vote, and
the recent issues' votes for the selection (selection/votes.py weighs them).

A vote link is signed for one reader, one issue and one paper's place in it (tokens.py);
only a paper of an issue that went out, for a reader on the list, can be voted on. Opening
the link records nothing: its page's button does (a POST), so link scanners vote for no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from newsletter.domain.issue import IssuePaper, IssueStatus
from newsletter.domain.subscriber import Subscriber
from newsletter.domain.votes import Choice, PaperVotes, Tally, Vote
from newsletter.store import StoredIssue
from newsletter.tokens import VoteRef

__all__ = ["Ballot", "Cast", "VoteBook", "VoteHistory", "ballot", "cast", "vote_history"]

RECENT_ISSUES = 6  # as many as the readers' clicks are read from (engagement/interest.py)
OUT = (IssueStatus.SENDING, IssueStatus.SENT)


class VoteBook(Protocol):
    """The issue and reader a link names, and their vote on the paper."""

    def get_issue(self, number: int) -> StoredIssue | None: ...

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    def vote_of(self, issue_number: int, subscriber_id: int, arxiv_id: str) -> Vote | None: ...

    def record_vote(
        self, issue_number: int, subscriber_id: int, arxiv_id: str, choice: Choice
    ) -> tuple[Vote, Vote | None]: ...


@dataclass(frozen=True, slots=True)
class Ballot:
    """What a vote link's page shows: the paper, where it was, and the reader's vote so far."""

    issue: int
    issue_title: str
    section: str
    paper: IssuePaper
    vote: Vote | None  # the reader's current vote on it
    proof: bool = False  # a link from a proof (no reader): its page records nothing


@dataclass(frozen=True, slots=True)
class Cast:
    """A vote just recorded, and the one it replaced."""

    ballot: Ballot
    vote: Vote
    replaced: Vote | None

    @property
    def changed(self) -> bool:
        return self.replaced is not None and self.replaced.choice is not self.vote.choice


def ballot(store: VoteBook, ref: VoteRef) -> Ballot | None:
    """The paper `ref` names and the reader's vote on it; None when there is no such paper
    of an issue that went out, or no such reader (erased since)."""
    issue = store.get_issue(ref.issue_number)
    if issue is None or issue.status not in OUT:
        return None
    picks = issue.record.picks
    if not 1 <= ref.position <= len(picks):
        return None
    section, paper = picks[ref.position - 1]
    proof = ref.subscriber_id == 0  # the editors' proof is signed for nobody
    if not proof and store.get_subscriber(ref.subscriber_id) is None:
        return None
    vote = None if proof else store.vote_of(issue.number, ref.subscriber_id, paper.arxiv_id)
    return Ballot(issue.number, issue.title, section.name, paper, vote, proof)


def cast(store: VoteBook, ref: VoteRef, choice: Choice) -> Cast | None:
    """Record the reader's vote (replacing an earlier one); None where `ballot` has no paper,
    and for a proof's link."""
    found = ballot(store, ref)
    if found is None or found.proof:
        return None
    vote, replaced = store.record_vote(found.issue, ref.subscriber_id, found.paper.arxiv_id, choice)
    return Cast(
        Ballot(found.issue, found.issue_title, found.section, found.paper, vote), vote, replaced
    )


class VoteHistory(Protocol):
    """The recent sent issues and the votes on their papers."""

    def sent_issue_numbers(self) -> list[int]: ...

    def get_issue(self, number: int) -> StoredIssue | None: ...

    def votes_on_issues(self, issue_numbers: list[int]) -> dict[int, dict[str, Tally]]: ...


def vote_history(store: VoteHistory, *, issues: int = RECENT_ISSUES) -> list[PaperVotes]:
    """Every voted paper of the last `issues` sent issues, with its section and kind."""
    numbers = store.sent_issue_numbers()[:issues]
    found: list[PaperVotes] = []
    for number, tallies in store.votes_on_issues(numbers).items():
        stored = store.get_issue(number) if tallies else None
        if stored is None:
            continue
        kinds = {c.arxiv_id: c.kind.value for c in stored.record.candidates}
        for section, paper in stored.record.picks:
            tally = tallies.get(paper.arxiv_id)
            if tally is not None and tally.total:
                found.append(
                    PaperVotes(
                        number, paper.arxiv_id, section.name, kinds.get(paper.arxiv_id), tally
                    )
                )
    return found
