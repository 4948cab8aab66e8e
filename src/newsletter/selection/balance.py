"""The issue's papers: the editor's word first, then the ranking's best, each in its section.

Assembly loses no pick the ranking made: after the editor's includes and moves (and
without the papers they removed), the issue takes the ranking's top papers in rank order,
each into its own section. A section holds at most `MOST` papers: one more goes to its
next-best section, and stays in the issue. No more than `[selection] sections[1]`
sections open: a paper whose section would be one too many goes to its best open section.
Balance only breaks ties at the cut: of papers scoring exactly as the last one taken, the
one whose section holds fewest (a new one while fewer than `sections[0]` are open) goes in.
Empty sections are simply not there; `assemble` numbers the rest in the configured order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from newsletter.config.editor import SelectionConfig
from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.taxonomy import Section

MOST = 5  # papers a section holds; the editor's issues have 1 to 4


def choose(
    ranked: Sequence[Candidate],
    size: int,
    *,
    include: Sequence[Candidate] = (),
    exclude: frozenset[str] = frozenset(),
    balance: SelectionConfig | None = None,
    sections: Sequence[Section] = (),
) -> list[Candidate]:
    """The editor's includes, then the ranking's best up to `size` papers, in that order;
    `sections` are the ones a paper may move to when its own is full (none given: it stays)."""
    rules = balance if balance is not None else SelectionConfig()
    chosen = [c for c in include if c.paper.arxiv_id not in exclude]
    taken = {c.paper.arxiv_id for c in chosen} | set(exclude)
    pool = [c for c in ranked if c.paper.arxiv_id not in taken]
    count = Counter(c.section.name for c in chosen)
    top = _at_the_cut(pool, size - len(chosen), count, rules)
    by_name = {s.name: s for s in sections}
    for c in top:
        placed = _placed(c, count, by_name, rules.sections[1])
        count[placed.section.name] += 1
        chosen.append(placed)
    return chosen


def _at_the_cut(
    pool: Sequence[Candidate], room: int, count: Counter[str], rules: SelectionConfig
) -> list[Candidate]:
    """The first `room` papers of the ranking; papers tied with the last one compete for
    its place by how full their section is."""
    if room <= 0:
        return []
    top = list(pool[:room])
    if len(pool) <= room:
        return top
    cut = top[-1].score
    sure = [c for c in top if c.score != cut]
    tied = [c for c in pool if c.score == cut]
    held = count + Counter(c.section.name for c in sure)
    opened = sum(1 for n in held.values() if n)

    def worth(c: Candidate) -> float:
        already = held[c.section.name]
        opens = already == 0 and opened < rules.sections[0]
        return rules.crowding ** (already - (1 if opens else 0))

    tied.sort(key=worth, reverse=True)  # stable: equal worth keeps the ranking's order
    chosen = {id(c) for c in [*sure, *tied[: room - len(sure)]]}
    return [c for c in pool if id(c) in chosen]


def _placed(
    c: Candidate, count: Counter[str], sections: dict[str, Section], most_sections: int
) -> Candidate:
    """The candidate in its section, or in its next-best one with room when its own is
    full (or would be a section too many)."""
    own = c.section.name
    opened = sum(1 for n in count.values() if n)

    def fits(name: str) -> bool:
        return count[name] < MOST and (count[name] > 0 or opened < most_sections)

    if fits(own) or not sections:
        return c
    ranked = sorted(c.section_scores, key=lambda s: -c.section_scores[s])
    better = [s for s in ranked if s in sections and s != own and fits(s)]
    if not better:
        return c
    target = sections[better[0]]
    why = f"{own} had {count[own]}" if count[own] >= MOST else f"{own} would open one too many"
    parts = tuple(
        replace(p, detail=f"{target.name}: {why}") if p.name == "section" else p for p in c.parts
    )
    if not any(p.name == "section" for p in parts):
        parts = (*parts, ScorePart("section", 0.0, f"{target.name}: {why}"))
    return replace(c, section=target, parts=parts)
