"""Readers' votes in the readers' signal: neutral until there are enough, then a section or a
kind of paper voted down weighs less, within the readers' weight, and the why says so."""

from __future__ import annotations

import dataclasses

from newsletter.domain.issue import ScorePart
from newsletter.domain.taxonomy import PaperKind, Section
from newsletter.domain.votes import PaperVotes, Tally
from newsletter.selection.interest import ReaderInterest, nudge
from newsletter.selection.sections import DEFAULT_SECTIONS
from newsletter.selection.votes import MIN_VOTES, PRIOR_VOTES, balance, vote_interest
from tests.support.papers import candidate

REASONING, TRAINING = "LLM Reasoning", "LLM Training"
NO_CLICKS = ReaderInterest(waiting="not enough clicks yet")


def voted(
    section: str, up: int, down: int, kind: str | None = "method", issue: int = 1
) -> PaperVotes:
    return PaperVotes(issue, f"2411.{issue:02d}{up:02d}{down:02d}", section, kind, Tally(up, down))


def test_votes_count_for_nothing_until_there_are_enough() -> None:
    few = vote_interest([voted(TRAINING, 0, MIN_VOTES - 1)], DEFAULT_SECTIONS)
    assert few.term(TRAINING, "method") == (0.0, f"votes: not enough yet (19 of {MIN_VOTES})")
    enough = vote_interest([voted(TRAINING, 0, MIN_VOTES)], DEFAULT_SECTIONS)
    value, why = enough.term(TRAINING, "method")
    assert (
        value < 0 and "LLM Training 0 up, 20 down" in why and "method papers 0 up, 20 down" in why
    )


def test_a_section_or_a_kind_voted_down_weighs_less_and_few_votes_barely_move_it() -> None:
    history = [
        voted(TRAINING, 2, 18, kind="benchmark", issue=1),
        voted(REASONING, 15, 5, kind="method", issue=2),
        voted("LLM Progress & Benchmarking", 1, 1, kind="benchmark", issue=2),
    ]
    found = vote_interest(history, DEFAULT_SECTIONS)
    assert found.votes == 42 and found.issues == 2
    training, _ = found.term(TRAINING, "survey")  # its section only: no survey was voted on
    benchmarks, _ = found.term("LLM Progress & Benchmarking", "benchmark")
    reasoning, _ = found.term(REASONING, "method")
    assert training == balance(Tally(2, 18)) == (2 - 18) / (20 + PRIOR_VOTES)
    assert benchmarks == balance(Tally(1, 1)) + balance(Tally(3, 19)) < 0
    assert 0 < reasoning < 1
    assert found.term("LLM Agents", "survey")[0] == 0.0  # nothing known of either: neutral
    assert abs(balance(Tally(0, 2))) < 0.2  # two votes are a hint, not a verdict


def test_old_section_names_count_for_the_section_they_became() -> None:
    renamed = (Section("Training", "", aliases=(TRAINING,)), *DEFAULT_SECTIONS[1:])
    found = vote_interest([voted(TRAINING, 0, 30)], renamed)
    assert found.term("Training", None)[0] < 0


def test_the_nudge_adds_the_votes_within_the_weight_and_says_who_moved_it() -> None:
    """Votes and clicks together stay within [-1, 1] times the weight; a pick the readers moved
    says from where to where."""
    history = [voted(TRAINING, 0, 60, kind="method"), voted(REASONING, 40, 0, kind="survey")]
    votes = vote_interest(history, DEFAULT_SECTIONS)
    clicks = ReaderInterest({TRAINING: -1.0, REASONING: 0.2}, {TRAINING: "t", REASONING: "r"})
    parts = (ScorePart("rules", 0.5, "r"),)
    first = candidate("a", TRAINING, 0.60, parts)
    second = dataclasses.replace(candidate("b", REASONING, 0.55, parts), kind=PaperKind.SURVEY)
    ranked = nudge([first, second], clicks, 0.1, votes)
    assert [c.paper.arxiv_id for c in ranked] == ["b", "a"]
    readers = {c.paper.arxiv_id: c.parts[-1] for c in ranked}
    assert readers["a"].value == -0.1  # clicks -1 and votes -1.71: kept at -1
    assert 0 < readers["b"].value <= 0.1
    assert readers["a"].detail.startswith("readers moved it down from 1st to 2nd; t; votes: ")
    assert "readers moved it up from 2nd to 1st" in ranked[0].why
    kept = nudge([first, second], NO_CLICKS, 0.1, vote_interest([], DEFAULT_SECTIONS))
    assert [c.score for c in kept] == [0.60, 0.55]  # neutral: nothing moves, nobody is moved
    assert "moved" not in kept[0].why and "votes: not enough yet (0 of 20)" in kept[0].why
