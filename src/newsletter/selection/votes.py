"""Readers' votes as part of the readers' signal: a section, or a kind of paper, readers
voted down on recent issues weighs less next week, one they found useful a little more.

For each configured section (old names counting for the section they became) and each kind
of paper, the votes on the last issues' papers give a balance

    (up - down) / (up + down + PRIOR_VOTES)

in (-1, 1): PRIOR_VOTES neutral votes that every tally starts from, so a handful of votes
barely moves it and dozens do. It stays 0 (neutral) until the history holds MIN_VOTES votes
in all. selection/interest.py adds a candidate's section and kind balances to its clicks
term, within [-1, 1], times `[selection.weights] readers`: a nudge, never a filter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from newsletter.domain.taxonomy import Section, section_named
from newsletter.domain.votes import PaperVotes, Tally

MIN_VOTES = 20
PRIOR_VOTES = 10


@dataclass(frozen=True, slots=True)
class VoteInterest:
    """Each section's and kind's vote tally over the recent issues, and their balance."""

    sections: dict[str, Tally] = field(default_factory=dict)  # configured section name → votes
    kinds: dict[str, Tally] = field(default_factory=dict)  # PaperKind value → votes
    votes: int = 0  # every vote of the history
    issues: int = 0

    @property
    def waiting(self) -> str:
        """Why votes count for nothing yet ("" once they count)."""
        if self.votes >= MIN_VOTES:
            return ""
        return f"votes: not enough yet ({self.votes} of {MIN_VOTES})"

    def term(self, section: str, kind: str | None) -> tuple[float, str]:
        """The votes' share of a candidate's readers term, and what it is made of."""
        if self.waiting:
            return 0.0, self.waiting
        parts, said = 0.0, []
        for what, tally in (
            (section, self.sections.get(section)),
            (_kind_label(kind), self.kinds.get(kind or "")),
        ):
            if tally is not None and tally.total:
                parts += balance(tally)
                said.append(f"{what} {tally.up} up, {tally.down} down")
        if not said:
            return 0.0, f"votes: none on {section} or {_kind_label(kind)} ({self.votes} in all)"
        issues = f"{self.issues} issue{'s' * (self.issues != 1)}"
        return parts, f"votes: {'; '.join(said)} ({issues})"


def balance(tally: Tally) -> float:
    """(up - down) / (up + down + PRIOR_VOTES): in (-1, 1), near 0 while votes are few."""
    return (tally.up - tally.down) / (tally.total + PRIOR_VOTES)


def vote_interest(history: Sequence[PaperVotes], sections: Sequence[Section]) -> VoteInterest:
    """The tallies of the configured sections (by name or alias) and of each kind of paper."""
    by_section: dict[str, Tally] = defaultdict(Tally)
    by_kind: dict[str, Tally] = defaultdict(Tally)
    for voted in history:
        name = section_named(voted.section, sections)
        if name is not None:
            by_section[name] += voted.tally
        if voted.kind:
            by_kind[voted.kind] += voted.tally
    return VoteInterest(
        dict(by_section),
        dict(by_kind),
        votes=sum(v.tally.total for v in history),
        issues=len({v.issue for v in history}),
    )


def _kind_label(kind: str | None) -> str:
    return f"{(kind or 'unknown').replace('_', ' ')} papers"
