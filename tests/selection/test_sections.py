"""Section taxonomy, the classifier that places papers, and `[[sections]]` config parsing."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from functools import cache
from typing import Any

import pytest

from newsletter.domain.taxonomy import PaperKind, Section
from newsletter.errors import ConfigError
from newsletter.selection.sections import (
    DEFAULT_SECTIONS,
    MIN_SCORE,
    Classification,
    SectionClassifier,
    sections_from_config,
)
from tests.support.corpus import labels

NAMES = [s.name for s in DEFAULT_SECTIONS]
CATCH_ALL = "Other LLM Research"
CLASSIFIER = SectionClassifier(DEFAULT_SECTIONS)


def classify(
    title: str, abstract: str | None, sections: Sequence[Section] = DEFAULT_SECTIONS
) -> Classification:
    """Placed by a classifier of `sections` (the defaults' built once for the module)."""
    if sections is DEFAULT_SECTIONS:
        return CLASSIFIER.classify(title, abstract)
    return SectionClassifier(sections).classify(title, abstract)


@cache
def labelled() -> tuple[dict[str, Any], ...]:
    """The hand labels, with title and abstract joined from the demo feeds."""
    return tuple(labels())


# --- taxonomy ----------------------------------------------------------------------------


def test_default_sections_are_the_editors_in_order() -> None:
    """The default taxonomy has the editor's section names, in issue order."""
    assert NAMES == [
        "LLM Progress & Benchmarking",
        "Transformers",
        "LLM Training",
        "LLM Quantization & Optimization",
        "LLM Reasoning",
        "Retrieval Augmented Generation (RAG)",
        "LLM Evaluation",
        "LLM Agents",
        "Other LLM Research",
    ]
    assert [s.name for s in DEFAULT_SECTIONS if s.catch_all] == [CATCH_ALL]
    assert all(s.description for s in DEFAULT_SECTIONS)


def test_default_keywords_are_lowercase() -> None:
    """Key phrases are stored lowercase, as the config documents them."""
    assert all(k == k.lower() for s in DEFAULT_SECTIONS for k in s.keywords)


# --- every paper lands in exactly one section --------------------------------------------


def test_every_labelled_paper_lands_in_exactly_one_known_section() -> None:
    """Each paper gets one section, and scores/matched cover every section."""
    for row in labelled():
        placed = classify(row["title"], row["abstract"])
        assert isinstance(placed, Classification)
        assert placed.section.name in NAMES
        assert list(placed.scores) == NAMES
        assert list(placed.matched) == NAMES


def test_winner_has_the_top_score_unless_the_signal_is_too_weak() -> None:
    """The chosen section is the best scorer, or the catch-all when the best is weak."""
    for row in labelled():
        placed = classify(row["title"], row["abstract"])
        best = max(placed.scores.values())
        if best < MIN_SCORE:
            assert placed.section.name == CATCH_ALL
        else:
            assert placed.scores[placed.section.name] == best


def test_placement_explains_itself() -> None:
    """The winning section lists the phrases that fired, strongest first."""
    placed = classify(
        "Star Attention: Efficient LLM Inference over Long Sequences",
        "Self-attention over long sequences is quadratic; we shard attention across hosts.",
    )
    assert placed.section.name == "Transformers"
    assert placed.matched["Transformers"][0] == "attention"
    assert "long sequence" in placed.matched["Transformers"]
    assert placed.scores["Transformers"] > placed.scores["LLM Quantization & Optimization"]


def test_kinds_the_section_collects_are_shown_as_evidence() -> None:
    """A survey goes to Progress & Benchmarking, and the kind appears among the reasons."""
    placed = classify(
        "A Survey of Retrieval-Augmented Generation",
        "This survey reviews retrieval-augmented generation for large language models.",
    )
    assert placed.kind is PaperKind.SURVEY
    assert placed.section.name == "LLM Progress & Benchmarking"
    assert "[kind: survey]" in placed.matched["LLM Progress & Benchmarking"]


# --- catch-all ---------------------------------------------------------------------------


def test_a_paper_with_no_signal_goes_to_the_catch_all() -> None:
    """Nothing matched means every score is zero and the catch-all takes the paper."""
    placed = classify("Notes on Counterspeech for Online Moderation", "We study replies.")
    assert placed.section.name == CATCH_ALL
    assert set(placed.scores.values()) == {0.0}
    assert all(m == () for m in placed.matched.values())


def test_a_single_abstract_mention_is_too_weak_to_claim_a_paper() -> None:
    """One passing abstract word scores below MIN_SCORE, so the catch-all keeps the paper."""
    placed = classify("Counterspeech Generation", "The model is lightweight.")
    assert 0 < max(placed.scores.values()) < MIN_SCORE
    assert placed.section.name == CATCH_ALL


# --- title-only input --------------------------------------------------------------------


@pytest.mark.parametrize("abstract", [None, ""])
def test_title_alone_is_enough(abstract: str | None) -> None:
    """Papers without an abstract are classified from the title and never crash."""
    assert classify("Star Attention for Long-Context LLMs", abstract).section.name == "Transformers"
    assert classify("AIM: Token Merging and Pruning for MLLMs", abstract).section.name == (
        "LLM Quantization & Optimization"
    )
    assert classify("", abstract).section.name == CATCH_ALL


def test_title_matches_outweigh_abstract_matches() -> None:
    """The same phrase counts more in the title than in the abstract."""
    placed = classify("Quantization for LLMs", "We keep attention as is.")
    assert placed.section.name == "LLM Quantization & Optimization"
    flipped = classify("Attention for LLMs", "We keep quantization as is.")
    assert flipped.section.name == "Transformers"


def test_plurals_and_hyphenation_match_keywords() -> None:
    """'Long-Context', 'long contexts' and 'Mixture-of-Experts' all reach Transformers."""
    for title in ("Long-Context Models", "Extending long contexts", "Mixture of Experts LLMs"):
        assert classify(title, None).section.name == "Transformers", title


# --- determinism and ties ----------------------------------------------------------------


def test_classification_is_deterministic() -> None:
    """Repeated calls, and a list instead of a tuple of sections, give identical results."""
    row = labelled()[21]
    first = classify(row["title"], row["abstract"])
    assert classify(row["title"], row["abstract"]) == first
    assert classify(row["title"], row["abstract"], list(DEFAULT_SECTIONS)) == first


def test_ties_go_to_the_earlier_section() -> None:
    """When two sections score the same, section order decides."""
    sections = (
        Section("First", "a", ("widget",)),
        Section("Second", "b", ("widget",)),
        Section("Rest", "c", catch_all=True),
    )
    assert classify("Widget design", None, sections).section.name == "First"
    assert classify("Widget design", None, sections[::-1]).section.name == "Second"


def test_without_a_catch_all_the_first_section_takes_unmatched_papers() -> None:
    """A taxonomy with no catch-all still places every paper, deterministically."""
    sections = (Section("A", "a", ("alpha",)), Section("B", "b", ("beta",)))
    assert classify("Nothing to see", None, sections).section.name == "A"
    assert classify("Beta testing", None, sections).section.name == "B"


# --- accuracy ----------------------------------------------------------------------------


def test_section_accuracy_on_labelled_llm_papers() -> None:
    """Section accuracy against the hand labels stays near what was measured."""
    rows = [r for r in labelled() if r["is_llm"]]
    right = sum(classify(r["title"], r["abstract"]).section.name == r["section"] for r in rows)
    # Measured on 127 LLM papers: 0.70 (0.75 on the two tuned weeks, 0.57 on the hold-out).
    assert right / len(rows) >= 0.66


def test_most_editor_picks_land_in_the_editors_section() -> None:
    """The editor's picks of 2024-11-25 land where the editor put them (no special cases)."""
    picks = [r for r in labelled() if r["editor_pick"]]
    assert len(picks) == 6
    right = sum(classify(r["title"], r["abstract"]).section.name == r["section"] for r in picks)
    assert right >= 5  # measured 6/6


def test_classifying_is_fast() -> None:
    """Two thousand distinct papers classify well within a second."""
    rows = labelled()
    papers = [
        (f"{r['title']} {i}", f"{r['abstract'] or ''} {i}")
        for i, r in enumerate(rows[i % len(rows)] for i in range(2000))
    ]
    start = time.process_time()
    for title, abstract in papers:
        classify(title, abstract)
    assert time.process_time() - start < 1.0


# --- config ------------------------------------------------------------------------------


def as_config(sections: tuple[Section, ...]) -> list[dict[str, Any]]:
    return [
        {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(s).items()} for s in sections
    ]


def test_default_sections_round_trip_through_config() -> None:
    """Writing the defaults as [[sections]] tables and reading them back changes nothing."""
    assert sections_from_config(as_config(DEFAULT_SECTIONS)) == DEFAULT_SECTIONS


def test_config_keywords_are_normalised_and_weights_kept() -> None:
    """Keywords are lowercased and stripped; '^w' weights survive; optional keys default."""
    (section,) = sections_from_config(
        [{"name": " Speech ", "keywords": ["Speech Recognition ^2", "ASR"]}]
    )
    assert section == Section("Speech", "", ("speech recognition^2", "asr"))
    placed = classify("ASR at scale", None, (section,))
    assert placed.section == section and placed.scores["Speech"] == 3.0


def test_a_section_named_and_described_only_places_papers_by_their_words() -> None:
    """A section added with a name and a one-line description (as the editor's taxonomy
    moves): key phrases from both, none from the field's everyday words."""
    vlm, other = sections_from_config(
        [
            {
                "name": "Vision Language Models",
                "description": "Models that see and read: vision-language models, visual "
                "question answering, image understanding with LLMs.",
            },
            {"name": "Post Training & RL"},
        ]
    )
    assert vlm.keywords == (
        "vision language models",
        "vlm",
        "vision language",
        "vision^0.5",
        "visual question answering",
        "image understanding",
    )
    assert other.keywords == ("post training", "rl", "post^0.5", "training^0.5")
    sections = (*DEFAULT_SECTIONS[:-1], vlm, DEFAULT_SECTIONS[-1])
    assert classify("VLMs that read charts", None, sections).section == vlm
    assert classify("A vision-language-action model", None, sections).section == vlm


def test_config_weights_change_the_outcome() -> None:
    """A heavier keyword wins a paper that mentions both sections once."""
    sections = sections_from_config(
        [
            {"name": "A", "keywords": ["apples"]},
            {"name": "B", "keywords": ["bananas^2"]},
            {"name": "Other", "catch_all": True},
        ]
    )
    assert classify("Apples and bananas", None, sections).section.name == "B"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "at least one"),
        (["not a table"], "expected a table"),
        ([{"keywords": ["x"]}], "'name' must be a non-empty string"),
        ([{"name": "A", "keywords": ["x"]}, {"name": "a", "keywords": ["y"]}], "used twice"),
        (
            [{"name": "A", "catch_all": True}, {"name": "B", "catch_all": True}],
            "only one may be catch_all",
        ),
        ([{"name": "A", "keywords": ["x"], "colour": "red"}], "unknown key(s) colour"),
        ([{"name": "A", "keywords": "x"}], "'keywords' must be a list of strings"),
        ([{"name": "A", "keywords": ["x^heavy"]}], "must be a number"),
        ([{"name": "A", "keywords": ["x^0"]}], "must be positive"),
        ([{"name": "A", "keywords": ["--"]}], "has no letters or digits"),
        ([{"name": "A", "keywords": ["LLM", "llms"]}], "listed twice"),
        ([{"name": "A"}], "no keywords, kinds or examples"),
        ([{"name": "LLM Papers", "description": "New research."}], "give no words to place"),
        ([{"name": "A", "kinds": ["essay"]}], "unknown kind 'essay'"),
        ([{"name": "A", "keywords": ["x"], "catch_all": "yes"}], "'catch_all' must be true"),
        ([{"name": "A", "keywords": ["x"], "description": 3}], "'description' must be a string"),
    ],
)
def test_bad_config_raises_a_one_line_config_error(raw: Any, message: str) -> None:
    """Every invalid [[sections]] table fails with a ConfigError that says what is wrong."""
    with pytest.raises(ConfigError) as caught:
        sections_from_config(raw)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
