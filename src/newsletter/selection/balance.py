"""The issue's papers, balanced as the editor balances them: 4 to 8 sections of 1 to 4
papers, without a hard cap that would cut a strong paper.

Greedy on the pick probability: each paper already in a section makes the next one there
count `crowding` times less, and until `sections[0]` sections are open, a paper that opens
one counts as much more. A strong fourth or fifth paper in a busy section still beats a
weak first one elsewhere; at `sections[1]` open sections, no new one opens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from newsletter.config.editor import SelectionConfig
from newsletter.domain.issue import Candidate


def choose(
    ranked: Sequence[Candidate],
    size: int,
    *,
    include: Sequence[Candidate] = (),
    exclude: frozenset[str] = frozenset(),
    balance: SelectionConfig | None = None,
) -> list[Candidate]:
    """The editor's includes, then the best by balanced probability, up to `size` papers;
    `balance` gives the sections' range and the crowding (default: `[selection]`'s)."""
    rules = balance if balance is not None else SelectionConfig()
    sections, crowding = rules.sections, rules.crowding
    chosen = [c for c in include if c.paper.arxiv_id not in exclude]
    taken = {c.paper.arxiv_id for c in chosen} | set(exclude)
    per_section = Counter(c.section.name for c in chosen)
    pool = [c for c in ranked if c.paper.arxiv_id not in taken]
    while len(chosen) < size and pool:
        scored = [(_worth(c, per_section, sections, crowding), -n) for n, c in enumerate(pool)]
        best = max(range(len(pool)), key=scored.__getitem__)
        if scored[best][0] < 0:
            break  # only new sections are left, and no new one may open
        pick = pool.pop(best)
        chosen.append(pick)
        per_section[pick.section.name] += 1
    return chosen


def _worth(
    c: Candidate, per_section: Counter[str], sections: tuple[int, int], crowding: float
) -> float:
    already = per_section[c.section.name]
    opened = sum(1 for n in per_section.values() if n)
    if already == 0 and opened >= sections[1]:
        return -1.0
    worth = c.score * crowding**already
    if already == 0 and opened < sections[0]:
        worth /= crowding
    return worth
