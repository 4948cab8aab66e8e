"""The issue's papers: the editor's word, then the ranking's best in rank order, each in its
section; a full section passes a paper to its next-best one; balance only breaks ties."""

from __future__ import annotations

from dataclasses import replace

from newsletter.config.editor import SelectionConfig
from newsletter.domain.issue import Candidate
from newsletter.domain.taxonomy import Section
from newsletter.selection.balance import MOST, choose
from tests.support.papers import candidate as make_candidate

SECTIONS = tuple(Section(name, "") for name in ("A", "B", "C", "D", "E", "F", "G", "H", "I"))


def candidate(n: int, section: str, score: float, second: str = "B") -> Candidate:
    """A candidate placed in `section`, `second` its next-best section."""
    found = make_candidate(f"2411.{n:05d}", SECTIONS["ABCDEFGHI".index(section)], score)
    return replace(found, section_scores={section: 0.6, second: 0.3, "C": 0.1})


def ids(chosen: list[Candidate]) -> list[str]:
    return [c.paper.arxiv_id for c in chosen]


def test_the_issue_is_the_rankings_top_in_rank_order() -> None:
    """No paper of the top 8 gives way to a lower-ranked one for balance."""
    ranked = [candidate(n, "AB"[n % 2], 0.9 - n / 100) for n in range(8)] + [
        candidate(20, "C", 0.5),
        candidate(21, "D", 0.4),
    ]
    assert ids(choose(ranked, 8, sections=SECTIONS)) == ids(ranked[:8])


def test_a_sixth_paper_goes_to_its_next_best_section_and_stays() -> None:
    ranked = [candidate(n, "A", 0.9 - n / 100, second="D") for n in range(MOST + 2)]
    chosen = choose(ranked, MOST + 2, sections=SECTIONS)
    assert ids(chosen) == ids(ranked)
    assert [c.section.name for c in chosen] == ["A"] * MOST + ["D", "D"]
    moved = {p.name: p.detail for p in chosen[-1].parts}
    assert moved["section"] == f"D: A had {MOST}"


def test_no_more_sections_than_the_most_a_paper_joins_its_best_open_one() -> None:
    ranked = [candidate(n, "ABCDEFGHI"[n], 0.9 - n / 100, second="A") for n in range(9)]
    chosen = choose(ranked, 9, balance=SelectionConfig(sections=(4, 8)), sections=SECTIONS)
    assert ids(chosen) == ids(ranked)
    assert len({c.section.name for c in chosen}) == 8 and chosen[-1].section.name == "A"


def test_balance_breaks_ties_at_the_cut_only() -> None:
    """Three papers tie for the last two places: the ones whose sections hold fewest win."""
    ranked = [
        candidate(1, "A", 0.9),
        candidate(2, "A", 0.8),
        candidate(3, "A", 0.5),
        candidate(4, "B", 0.5),
        candidate(5, "C", 0.5),
    ]
    assert ids(choose(ranked, 4, sections=SECTIONS)) == ids(
        [ranked[0], ranked[1], ranked[3], ranked[4]]
    )


def test_the_editors_includes_and_excludes_win() -> None:
    ranked = [candidate(n, "A", 0.9) for n in range(4)]
    forced = candidate(99, "E", 0.01)
    chosen = choose(ranked, 3, include=[forced], exclude=frozenset({"2411.00000"}))
    assert ids(chosen) == ["2411.00099", "2411.00001", "2411.00002"]


def test_an_editors_move_holds_even_in_a_full_section() -> None:
    """The editor's word on a section stands; the ranking's papers move around it."""
    moved = [candidate(90 + n, "A", 0.01) for n in range(MOST)]
    ranked = [candidate(1, "A", 0.9, second="B")]
    chosen = choose(ranked, MOST + 1, include=moved, sections=SECTIONS)
    assert [c.section.name for c in chosen] == ["A"] * MOST + ["B"]
