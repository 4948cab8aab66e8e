"""Readers' votes on papers, as typed values. No I/O.

Under each paper of an issue a reader has two links, "useful" and "not for me"; following
one shows the paper and a button, and pressing it records the vote: one per reader per paper
of an issue, a later one replacing the earlier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Choice(StrEnum):
    """A reader's verdict on one paper, as its link's last path segment says."""

    UP = "up"  # "useful"
    DOWN = "down"  # "not for me"

    @property
    def label(self) -> str:
        return "Useful" if self is Choice.UP else "Not for me"

    @property
    def other(self) -> Choice:
        return Choice.DOWN if self is Choice.UP else Choice.UP


@dataclass(frozen=True, slots=True)
class Vote:
    """One reader's vote on one paper of one issue, as kept."""

    issue_number: int
    subscriber_id: int
    arxiv_id: str
    choice: Choice
    voted_at: dt.datetime
    audience: bool = True  # the issue was delivered to them (not only shown in a welcome mail)


@dataclass(frozen=True, slots=True)
class Tally:
    """Votes on one paper (or section, or kind of paper): how many up, how many down."""

    up: int = 0
    down: int = 0

    @property
    def total(self) -> int:
        return self.up + self.down

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.up + other.up, self.down + other.down)

    def to_json(self) -> dict[str, int]:
        return {"up": self.up, "down": self.down}


@dataclass(frozen=True, slots=True)
class PaperVotes:
    """The votes on one paper of a sent issue, with what the selection weighs them by."""

    issue: int
    arxiv_id: str
    section: str  # as the issue named it
    kind: str | None  # its PaperKind value, when the issue recorded one
    tally: Tally
