"""Readers' interest: which sections readers click more than others, over the last issues,
as one more explainable term in the score.

A section's click rate is its papers' unique clicks per delivered message and paper. It is
compared with the rate of all sections, after shrinking it towards that overall rate by one
typical issue's worth of exposure (so one lucky paper does not make a section), as
log2(section rate / overall rate), kept within [-1, 1]; the score gets `weight` times that.
It stays 0 (neutral) until the history holds MIN_ISSUES issues with MIN_CLICKS paper clicks
between them, and for a section no recent issue had. Readers' votes join it (selection/
votes.py): the votes' balances of the candidate's section and kind are added to the clicks'
term, the sum kept within [-1, 1]. It nudges, never filters: a paper is only ever a little
up or down, and the why of one the readers moved says from where to where.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.taxonomy import Section, section_named
from newsletter.selection.score import ranking_key
from newsletter.selection.votes import VoteInterest

MIN_ISSUES = 3
MIN_CLICKS = 30


@dataclass(frozen=True, slots=True)
class SectionClicks:
    """One section of one sent issue: how many papers it had, and their unique clicks."""

    issue: int
    section: str  # as the issue named it
    papers: int
    clicks: int
    delivered: int


@dataclass(frozen=True, slots=True)
class ReaderInterest:
    terms: dict[str, float] = field(default_factory=dict)  # configured section → [-1, 1]
    details: dict[str, str] = field(default_factory=dict)
    waiting: str = ""  # why it is neutral, when it is

    def term(self, section: str) -> tuple[float, str]:
        if self.waiting:
            return 0.0, self.waiting
        if section not in self.terms:
            return 0.0, f"{section}: not in the last issues"
        return self.terms[section], self.details[section]


def reader_interest(
    history: Sequence[SectionClicks], sections: Sequence[Section]
) -> ReaderInterest:
    """Each configured section's term from the history (old section names by their aliases)."""
    issues = {h.issue for h in history if h.delivered}
    clicks = sum(h.clicks for h in history if h.delivered)
    if len(issues) < MIN_ISSUES or clicks < MIN_CLICKS:
        return ReaderInterest(
            waiting=f"not enough clicks yet ({len(issues)} of {MIN_ISSUES} issues, "
            f"{clicks} of {MIN_CLICKS} paper clicks)"
        )
    exposure: dict[str, float] = defaultdict(float)
    clicked: dict[str, int] = defaultdict(int)
    for h in history:
        name = section_named(h.section, sections)
        if name is not None and h.delivered:
            exposure[name] += h.delivered * h.papers
            clicked[name] += h.clicks
    total = sum(exposure.values())
    if not total:
        return ReaderInterest(waiting="no recent section is configured any more")
    overall = sum(clicked.values()) / total
    typical = total / sum(1 for h in history if h.delivered)  # one issue's section, exposed
    terms, details = {}, {}
    for name, seen in exposure.items():
        rate = (clicked[name] + typical * overall) / (seen + typical)
        terms[name] = max(-1.0, min(1.0, math.log2(rate / overall))) if overall else 0.0
        details[name] = (
            f"{name}: {rate:.2%} clicks per reader and paper vs {overall:.2%} for all sections, "
            f"{len(issues)} issues"
        )
    return ReaderInterest(terms, details)


def nudge(
    candidates: Sequence[Candidate],
    interest: ReaderInterest,
    weight: float,
    votes: VoteInterest | None = None,
    *,
    ranked: bool = True,
) -> list[Candidate]:
    """The candidates with the readers' term added to their score and shown in their why,
    best first (given best first, they stay in that order while the term is neutral).

    The term is the clicks' term of the candidate's section plus, with `votes`, the votes'
    balances of its section and of its kind, kept within [-1, 1], times `weight`. When
    `ranked` (the candidates are the week's ranking), a why says where the readers moved it.
    """
    found, moved = [], False
    for c in candidates:
        term, detail = interest.term(c.section.name)
        if votes is not None:
            share, said = votes.term(c.section.name, c.kind.value)
            term, detail = max(-1.0, min(1.0, term + share)), f"{detail}; {said}"
        value = round(weight * term, 4)
        moved = moved or value != 0
        part = ScorePart("readers", value, detail)
        found.append(c.rescored(round(c.score + value, 4), (*c.parts, part)))
    if not moved:  # the order given stands
        return found
    found.sort(key=ranking_key)
    if not ranked:
        return found
    before = {c.paper.arxiv_id: n for n, c in enumerate(candidates, 1)}
    return [_moved(c, before[c.paper.arxiv_id], n) for n, c in enumerate(found, 1)]


def _moved(c: Candidate, before: int, now: int) -> Candidate:
    """`c` with its readers' part saying where the readers moved it, if they did."""
    if before == now:
        return c
    last = c.parts[-1]
    said = f"readers moved it {'up' if now < before else 'down'} from {_nth(before)} to {_nth(now)}"
    return c.rescored(c.score, (*c.parts[:-1], replace(last, detail=f"{said}; {last.detail}")))


def _nth(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
