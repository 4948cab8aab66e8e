"""The editor's edits: one model, one merge rule (the later word wins), one parser."""

from __future__ import annotations

import pytest

from newsletter.domain.issue import Candidate
from newsletter.errors import ConfigError
from newsletter.issue.edits import NO_EDITS, Edits, arxiv_ids
from newsletter.selection.sections import DEFAULT_SECTIONS
from tests.support.papers import candidate as make_candidate

A, B, C = "2411.00001", "2411.00002", "2411.00003"
AGENTS, REASONING = "LLM Agents", "LLM Reasoning"


def test_the_later_word_wins() -> None:
    """A later remove takes out an earlier add or move; a later add takes back an earlier
    remove; a later move, order, note or size replaces the earlier one; promos add up."""
    earlier = Edits(
        add=(A,),
        remove=(B,),
        move=((C, AGENTS),),
        order=((AGENTS, (C, A)),),
        note="first",
        size=6,
        skip_promos=("ebook",),
    )
    assert earlier.add == (A, C)  # a move implies an add
    later = Edits.typed(
        add=[f"https://arxiv.org/abs/{B}v3"],
        remove=[f"arXiv:{C}", " "],
        order=[f"{AGENTS}: {A}"],
        skip_promos=["mentoring"],
    )
    assert earlier.then(later) == Edits(
        add=(A, B),
        remove=(C,),
        order=((AGENTS, (A,)),),
        note="first",
        size=6,
        skip_promos=("ebook", "mentoring"),
    )
    moved_again = earlier.then(Edits.typed(move=[f"{C} to {REASONING}"], note="", size=4))
    assert moved_again.move == ((C, REASONING),) and moved_again.add == (A, C)
    assert (moved_again.note, moved_again.size) == ("", 4)  # "" is a word too: no note
    assert earlier.then(NO_EDITS) == earlier == NO_EDITS.then(earlier)


def test_what_an_editor_types_is_read_one_way() -> None:
    """Ids, arXiv and Hugging Face URLs, "ID to SECTION", "SECTION: ID, ID"; a typo is one
    clear error naming it."""
    typed = Edits.typed(
        add=["2411.17691v2", "https://huggingface.co/papers/2411.17116", "2411.17691"],
        move=["2411.14405 to  LLM   Reasoning"],
        order=["LLM Reasoning: 2411.14405,2411.17691 arXiv:2411.17116"],
        note="  One line.\n\nAnother\nline.  ",
    )
    assert typed.add == ("2411.17691", "2411.17116", "2411.14405")
    assert typed.move == (("2411.14405", REASONING),)
    assert typed.order == ((REASONING, ("2411.14405", "2411.17691", "2411.17116")),)
    assert typed.note_paragraphs == ("One line.", "Another line.")
    assert arxiv_ids(["2411.17691", "2411.17691v2"]) == ("2411.17691",)
    for edit, message in [
        ({"add": ["two thousand"]}, "'two thousand' is not an arXiv id"),
        ({"move": ["2411.17691 into Reasoning"]}, "is not a move"),
        ({"order": ["LLM Reasoning 2411.17691"]}, "is not an order"),
        ({"add": [A], "remove": [A]}, f"{A}: both added"),
        ({"move": [f"{A} to {AGENTS}"], "remove": [A]}, f"{A}: both added"),
        ({"size": 0}, "size 0"),
        ({"note": "x" * 2001}, "at most 2000"),
    ]:
        with pytest.raises(ConfigError, match=message):
            Edits.typed(**edit)  # type: ignore[arg-type]


def test_sections_are_named_as_configured_or_refused() -> None:
    resolved = Edits.typed(
        move=[f"{A} to llm agents", f"{B} to AI Agents"], order=[f"llm reasoning: {A}"]
    ).resolved(DEFAULT_SECTIONS)
    assert resolved.move == ((A, AGENTS), (B, AGENTS))  # any case; an alias
    assert resolved.order == ((REASONING, (A,)),)
    with pytest.raises(ConfigError, match=f"no section named 'Poetry' to move {A} to"):
        Edits.typed(move=[f"{A} to Poetry"]).resolved(DEFAULT_SECTIONS)


def test_edits_travel_as_json_and_come_back_the_same() -> None:
    """The shape a review page posts: any subset of the keys; anything else is refused."""
    edits = Edits.typed(
        add=[A], remove=[B], move=[f"{C} to {AGENTS}"], order=[f"{AGENTS}: {C}, {A}"], size=8
    )
    assert Edits.from_json(edits.to_json()) == edits
    assert Edits.from_json({"move": [{"arxiv_id": A, "section": AGENTS}]}).add == (A,)
    for wrong, message in [
        ([A], "must be a JSON object"),
        ({"adds": [A]}, "unknown keys adds"),
        ({"add": A}, "'add' must be a list"),
        ({"move": [{"arxiv_id": A}]}, "each 'move' entry"),
        ({"size": "8"}, "'size' must be a whole number"),
    ]:
        with pytest.raises(ConfigError, match=message):
            Edits.from_json(wrong)


def candidate(arxiv_id: str, section: int, score: float) -> Candidate:
    return make_candidate(arxiv_id, DEFAULT_SECTIONS[section], score)


def test_edits_apply_to_a_drafts_picks_and_change_only_what_they_say() -> None:
    """What a review of an existing draft needs: a removal leaves the issue one shorter, an
    addition pushes nothing out, a move changes one section, an order one section's order."""
    picks = [candidate(A, 1, 0.9), candidate(B, 1, 0.8), candidate(C, 2, 0.7)]
    extra = candidate("2411.00004", 3, 0.1)
    edits = Edits.typed(remove=[B], add=[extra.paper.arxiv_id], move=[f"{C} to {AGENTS}"]).resolved(
        DEFAULT_SECTIONS
    )
    applied = edits.applied(picks, {extra.paper.arxiv_id: extra}, DEFAULT_SECTIONS)
    assert [(c.paper.arxiv_id, c.section.name) for c in applied] == [
        (A, DEFAULT_SECTIONS[1].name),
        (C, AGENTS),
        ("2411.00004", DEFAULT_SECTIONS[3].name),
    ]
    ordered = Edits.typed(order=[f"{DEFAULT_SECTIONS[1].name}: {B}"])
    assert [c.paper.arxiv_id for c in ordered.arranged(DEFAULT_SECTIONS[1].name, picks[:2])] == [
        B,
        A,
    ]
    with pytest.raises(ConfigError, match="not a candidate of the week"):
        Edits.typed(add=["2411.00009"]).applied(picks, {}, DEFAULT_SECTIONS)
