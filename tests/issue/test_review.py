"""A round of the editor's edits on a stored draft (the golden issue of 2024-11-25): what can
apply does, each entry that cannot is refused on its own, and nothing else changes."""

from __future__ import annotations

import json
from dataclasses import replace

from newsletter.config.editor import EditorConfig
from newsletter.domain.issue import IssuePaper, IssueRecord
from newsletter.domain.review import Picks, changes
from newsletter.issue.edits import Edits
from newsletter.issue.review import checked, incoming, revised
from newsletter.selection.sections import DEFAULT_SECTIONS
from tests.support.paths import GOLDEN

RECORD = IssueRecord.from_json(json.loads((GOLDEN / "issue.json").read_text(encoding="utf-8")))
BUILT = Picks.of(RECORD)
CANDIDATE = "2411.17451"  # ranked 17th, not picked: LLM Progress & Benchmarking by the classifier


def apply(edits: Edits) -> tuple[IssueRecord, Picks, tuple[str, ...]]:
    """The draft after `edits`: its record as the issue would be rendered, its picks, refusals."""
    fine, refused = checked(edits, RECORD, DEFAULT_SECTIONS)
    first = RECORD.sections[0].papers[0]
    added = {i: replace(first, arxiv_id=i, title=f"Paper {i}") for i in incoming(fine, RECORD)}
    texts = EditorConfig().texts
    issue = revised(
        RECORD, fine, added, DEFAULT_SECTIONS, texts=texts, promos=(), last_listing=None
    )
    record = IssueRecord.of(issue)
    return record, Picks.of(record), tuple(str(r) for r in refused)


def test_a_removal_leaves_the_issue_one_shorter_and_nothing_else_moves() -> None:
    _, after, refused = apply(Edits(remove=(BUILT.ids[0],)))
    assert after.placed == BUILT.placed[1:] and not refused
    assert changes(BUILT, after).removed == (BUILT.ids[0],)


def test_an_added_candidate_goes_into_the_section_chosen_for_it_at_its_end() -> None:
    record, after, _ = apply(Edits(move=((CANDIDATE, "LLM Agents"),)))
    agents = next(s for s in record.sections if s.name == "LLM Agents")
    assert [p.arxiv_id for p in agents.papers] == ["2411.17465", CANDIDATE]
    assert [p.number for p in agents.papers] == ["6.1", "6.2"]
    assert changes(BUILT, after).added == ((CANDIDATE, "LLM Agents"),)
    _, guessed, _ = apply(Edits(add=(CANDIDATE,)))  # no section chosen: the classifier's guess
    assert guessed.sections[CANDIDATE] == "LLM Progress & Benchmarking"
    assert len(guessed.ids) == len(BUILT.ids) + 1  # nothing pushed out


def test_a_move_takes_only_that_paper_to_the_end_of_its_new_section() -> None:
    moved = "2411.16594"  # 1.2, LLM Progress & Benchmarking
    _, after, _ = apply(Edits(move=((moved, "llm reasoning"),)))  # any case, as configured
    assert after.in_section("LLM Reasoning") == ("2411.18203", "2411.15862", moved)
    assert changes(BUILT, after).moved == ((moved, "LLM Progress & Benchmarking", "LLM Reasoning"),)
    assert not changes(BUILT, after).added and not changes(BUILT, after).removed


def test_an_order_puts_the_named_papers_first_and_renumbers() -> None:
    record, after, _ = apply(
        Edits(order=(("LLM Progress & Benchmarking", ("2411.15296", "2411.16594")),))
    )
    assert after.in_section("LLM Progress & Benchmarking") == (
        "2411.15296",
        "2411.16594",
        "2411.18279",
        "2411.16489",
    )
    assert record.sections[0].papers[0].number == "1.1"
    assert changes(BUILT, after).reordered == ("LLM Progress & Benchmarking",)


def test_a_typo_refuses_only_itself() -> None:
    """A paper that is no candidate, one taken out that is not in, a section that is not
    configured, an order naming a paper elsewhere: each refused with why; the rest applies."""
    edits, unread = Edits.from_json_leniently(
        {
            "add": ["2411.99999", "not an id", CANDIDATE],
            "remove": ["2411.17673", "2412.00001"],
            "move": [
                {"arxiv_id": "2411.17116", "section": "Poetry"},
                {"arxiv_id": "2411.16205", "section": "LLM Training"},
                {"arxiv_id": "2411.1", "section": "LLM Training"},
            ],
            "order": [{"section": "Transformers", "arxiv_ids": ["2411.17116", "2411.15124"]}],
        }
    )
    assert [str(r) for r in unread] == [
        "2411.1 to LLM Training: not an arXiv id (write it like 2411.17691)",
        "not an id: not an arXiv id (write it like 2411.17691)",
    ]
    _, after, refused = apply(edits)
    assert refused == (
        "2411.17116 to Poetry: no section named 'Poetry' (LLM Progress & Benchmarking, "
        "Transformers, LLM Training, LLM Quantization & Optimization, LLM Reasoning, "
        "Retrieval Augmented Generation (RAG), LLM Evaluation, LLM Agents, Other LLM Research)",
        "2411.99999: not a candidate of this week (search the candidates by title or id)",
        "2412.00001: not in the issue",
        "2411.15124: not in Transformers",
    )
    done = changes(BUILT, after)
    assert done.added == ((CANDIDATE, "LLM Progress & Benchmarking"),)
    assert done.removed == ("2411.17673",)
    assert done.moved == (("2411.16205", "Transformers", "LLM Training"),)


def test_an_id_both_added_and_removed_in_one_round_is_neither() -> None:
    edits, refused = Edits.typed_leniently(add=[CANDIDATE], remove=[CANDIDATE, "2411.17673"])
    assert edits == Edits(remove=("2411.17673",))
    assert [r.item for r in refused] == [CANDIDATE]


def test_the_count_in_the_texts_follows_the_picks_and_the_note_is_kept() -> None:
    texts = EditorConfig().texts.model_copy(update={"title": "{count} papers: {week_name}"})
    record = RECORD.model_copy(update={"note": ("Short week.",)})
    fine, _ = checked(Edits(remove=BUILT.ids[:2]), record, DEFAULT_SECTIONS)
    issue = revised(record, fine, {}, DEFAULT_SECTIONS, texts=texts, promos=(), last_listing=None)
    assert issue.title == "10 papers: Fourth Week of November 2024"
    assert issue.note == ("Short week.",) and issue.candidates == ()
    again = revised(
        record, Edits(note=""), {}, DEFAULT_SECTIONS, texts=texts, promos=(), last_listing=None
    )
    assert again.note == ()


def test_only_candidates_of_the_week_come_in() -> None:
    """`incoming` names what must be laid out: added or moved in, not already there."""
    edits = Edits(add=(CANDIDATE,), move=(("2411.16594", "LLM Agents"),))
    assert incoming(edits, RECORD) == (CANDIDATE,)
    assert isinstance(RECORD.sections[0].papers[0], IssuePaper)
