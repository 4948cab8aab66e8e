"""Balancing the issue: 4 to 8 sections, no hard cap that cuts a strong paper."""

from __future__ import annotations

from newsletter.domain.issue import Candidate
from newsletter.selection.balance import choose
from tests.support.papers import candidate as make_candidate


def candidate(n: int, section: str, score: float) -> Candidate:
    return make_candidate(f"2411.{n:05d}", section, score)


def test_at_least_four_sections_when_there_are_four() -> None:
    ranked = [candidate(n, "A", 0.9 - n / 100) for n in range(10)] + [
        candidate(20, "B", 0.5),
        candidate(21, "C", 0.4),
        candidate(22, "D", 0.3),
    ]
    chosen = choose(ranked, 8)
    assert {c.section.name for c in chosen} == {"A", "B", "C", "D"}


def test_no_more_than_the_most_sections() -> None:
    ranked = [candidate(n, f"S{n}", 0.9 - n / 100) for n in range(12)]
    assert len({c.section.name for c in choose(ranked, 12)}) == 8


def test_a_strong_paper_is_not_cut_by_a_cap() -> None:
    """A fifth paper in a busy section still beats a much weaker one elsewhere."""
    ranked = [candidate(n, "A", 0.95) for n in range(5)] + [
        candidate(10, "B", 0.9),
        candidate(11, "C", 0.9),
        candidate(12, "D", 0.9),
        candidate(13, "E", 0.05),
    ]
    chosen = {c.paper.arxiv_id for c in choose(ranked, 9)}
    assert all(f"2411.{n:05d}" in chosen for n in range(5)) and "2411.00013" in chosen
    assert len(choose(ranked, 8)) == 8 and "2411.00013" not in {
        c.paper.arxiv_id for c in choose(ranked, 8)
    }


def test_the_editors_includes_and_excludes_win() -> None:
    ranked = [candidate(n, "A", 0.9) for n in range(4)]
    forced = candidate(99, "Z", 0.01)
    chosen = choose(ranked, 3, include=[forced], exclude=frozenset({"2411.00000"}))
    ids = [c.paper.arxiv_id for c in chosen]
    assert ids[0] == "2411.00099" and "2411.00000" not in ids and len(ids) == 3
