"""A reader's vote on a paper: what its link's page shows, and recording the vote (the rules
are engagement/votes.py's; the link's token is read by the caller, with tokens.read_vote)."""

from __future__ import annotations

from newsletter.app import App
from newsletter.domain.votes import Choice
from newsletter.engagement.votes import Ballot, Cast, ballot, cast
from newsletter.tokens import VoteRef

__all__ = ["Ballot", "Cast", "cast_vote", "paper_for"]


def paper_for(app: App, ref: VoteRef) -> Ballot | None:
    """The paper a vote link names and the reader's vote so far; None for no such paper of an
    issue that went out, or no such reader. Changes nothing."""
    with app.store() as store:
        return ballot(store, ref)


def cast_vote(app: App, ref: VoteRef, choice: Choice) -> Cast | None:
    """Record the reader's vote on the paper, replacing an earlier one (None: no such paper or
    reader, or a proof's link)."""
    with app.store() as store:
        return cast(store, ref, choice)
