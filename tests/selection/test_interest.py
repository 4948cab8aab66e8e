"""Readers' interest: neutral until there is enough, bounded, explained, a nudge, and used by
the build once sent issues have clicks."""

from __future__ import annotations

import pytest

from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.taxonomy import Section
from newsletter.selection.interest import (
    MIN_ISSUES,
    ReaderInterest,
    SectionClicks,
    nudge,
    reader_interest,
)
from newsletter.selection.sections import DEFAULT_SECTIONS
from tests.support.papers import candidate as make_candidate

REASONING, TRAINING = "LLM Reasoning", "LLM Training"


def history(
    reasoning: int, training: int, issues: int = 4, delivered: int = 1000
) -> list[SectionClicks]:
    """Each issue: two papers per section, these many clicks in each."""
    return [
        SectionClicks(n, name, 2, clicks, delivered)
        for n in range(1, issues + 1)
        for name, clicks in ((REASONING, reasoning), (TRAINING, training))
    ]


def test_it_stays_neutral_until_there_are_enough_issues_and_clicks() -> None:
    few = reader_interest(history(50, 10, issues=MIN_ISSUES - 1), DEFAULT_SECTIONS)
    assert few.term(REASONING) == (0.0, few.waiting) and "2 of 3 issues" in few.waiting
    quiet = reader_interest(history(3, 2), DEFAULT_SECTIONS)
    assert quiet.term(REASONING)[0] == 0.0 and "20 of 30 paper clicks" in quiet.waiting


def test_a_section_readers_click_more_gets_a_positive_bounded_term() -> None:
    found = reader_interest(history(60, 15), DEFAULT_SECTIONS)
    up, why = found.term(REASONING)
    down, _ = found.term(TRAINING)
    assert 0 < up <= 1 and -1 <= down < 0
    assert "clicks per reader and paper" in why and "4 issues" in why
    assert found.term("LLM Agents") == (0.0, "LLM Agents: not in the last issues")


def test_a_section_seen_once_is_trusted_less_than_one_seen_every_issue() -> None:
    """The same click rate, once or four times: shrinking towards the overall rate says more
    evidence moves it further."""
    agents = "LLM Agents"
    steady = [SectionClicks(n, agents, 2, 60, 1000) for n in range(1, 5)]
    once = [SectionClicks(4, REASONING, 2, 60, 1000)]
    training = [SectionClicks(n, TRAINING, 2, 10, 1000) for n in range(1, 5)]
    found = reader_interest(steady + once + training, DEFAULT_SECTIONS)
    assert 0 < found.term(REASONING)[0] < found.term(agents)[0] <= 1


def test_old_section_names_count_for_the_section_they_became() -> None:
    renamed = (
        Section("LLM Progress & Technical Reports", "", aliases=("LLM Progress & Benchmarking",)),
        *DEFAULT_SECTIONS[1:],
    )
    old = [
        SectionClicks(n, "LLM Progress & Benchmarking", 2, 40, 1000) for n in range(1, 5)
    ] + history(5, 5)
    found = reader_interest(old, renamed)
    assert found.term("LLM Progress & Technical Reports")[0] > 0


def candidate(arxiv_id: str, score: float, section: str) -> Candidate:
    return make_candidate(arxiv_id, section, score, (ScorePart("rules", score, "r"),))


@pytest.mark.parametrize("weight", [0.0, 0.1, 1.0])
def test_the_nudge_adds_weight_times_the_term_and_shows_in_the_why(weight: float) -> None:
    interest = ReaderInterest({REASONING: 1.0, TRAINING: -1.0}, {REASONING: "r", TRAINING: "t"})
    ranked = nudge(
        [candidate("a", 0.50, TRAINING), candidate("b", 0.45, REASONING)], interest, weight
    )
    scores = {c.paper.arxiv_id: c.score for c in ranked}
    assert scores == {"a": round(0.5 - weight, 4), "b": round(0.45 + weight, 4)}
    assert all(c.parts[-1].name == "readers" for c in ranked)
    assert "readers" in ranked[0].why
    assert [c.paper.arxiv_id for c in ranked] == (["b", "a"] if weight else ["a", "b"])
