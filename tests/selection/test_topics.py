"""Topic filter (is it about LLMs?), paper-kind detection and the phrase matcher under both."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from newsletter.domain.taxonomy import PaperKind
from newsletter.selection.topics import (
    PhraseMatcher,
    TopicModel,
    TopicVerdict,
    phrase_variants,
)
from tests.support.corpus import labels

TOPICS = TopicModel()  # compiled once for the module, as a build does
llm_relevance, paper_kind = TOPICS.relevance, TOPICS.kind


@cache
def labelled() -> tuple[dict[str, Any], ...]:
    """The hand labels, with title and abstract joined from the demo feeds."""
    return tuple(labels())


def paper(arxiv_id: str) -> tuple[str, str | None]:
    row = next(r for r in labelled() if r["arxiv_id"] == arxiv_id)
    return row["title"], row["abstract"]


# --- phrase matching ---------------------------------------------------------------------


def found(phrases: list[str], text: str) -> set[str]:
    matcher = PhraseMatcher(phrases)
    return {matcher.phrases[i] for i in matcher.find(text)}


def test_plural_and_singular_forms_match_each_other() -> None:
    """A phrase finds its regular plural and singular, whichever form it was given in."""
    assert found(["scaling law", "llm", "agents"], "Scaling Laws for LLMs and an agent") == {
        "scaling law",
        "llm",
        "agents",
    }


def test_hyphen_space_and_joined_spellings_match() -> None:
    """'long-context' finds 'long context', 'Long-Context' and 'longcontext'."""
    for text in ("long context", "Long-Context models", "LONGCONTEXT", "(long–context)"):
        assert found(["long-context"], text) == {"long-context"}, text


def test_matching_is_on_word_boundaries() -> None:
    """A short phrase does not fire inside a longer word."""
    assert found(["rag", "moe"], "storage drag, Moet and fragments") == set()
    assert found(["rag", "moe"], "RAG with MoE") == {"rag", "moe"}


def test_phrases_do_not_match_across_punctuation() -> None:
    """'agents, tools' is not the phrase 'agents tools'."""
    assert found(["agent tool"], "we train agents, tools come later") == set()
    assert found(["agent tool"], "an agent tool") == {"agent tool"}


def test_variants_cover_irregular_looking_endings() -> None:
    """Spelling variants handle -y/-ies and -s/-es endings."""
    assert "studies" in phrase_variants("study")
    assert "process" in phrase_variants("processes")
    assert "mixture of expert" in phrase_variants("mixture-of-experts")


def test_empty_or_missing_text_finds_nothing() -> None:
    """None and the empty string are valid inputs with no matches."""
    matcher = PhraseMatcher(["llm"])
    assert matcher.find(None) == set()
    assert matcher.find("") == set()


# --- topic filter ------------------------------------------------------------------------

REJECTED = {
    "2411.14793": "image generation (style-driven diffusion sampling)",
    "2411.15098": "image generation (diffusion transformer control)",
    "2411.15466": "subject-driven text-to-image generation",
    "2411.14974": "3D (convex splatting)",
    "2411.14740": "3D (mesh textures)",
    "2411.14208": "video diffusion (novel view extrapolation)",
    "2411.17440": "video diffusion (identity-preserving text-to-video)",
    "2411.12814": "medical image segmentation benchmark",
    "2411.15872": "brain tumour segmentation",
    "2411.15131": "robotics (loco-manipulation)",
}

ACCEPTED = {
    "2411.14982": "LMM interpretability",
    "2411.17465": "vision-language-action GUI agent",
    "2411.18363": "multimodal LLM perception",
    "2411.15296": "survey of MLLM evaluation",
    "2411.18203": "VLM critics",
    "2412.04467": "VLM visual token reduction",
    "2411.17116": "LLM attention for long sequences",
    "2411.15124": "LLM post-training",
}


@pytest.mark.parametrize("arxiv_id", sorted(REJECTED))
def test_off_topic_papers_are_rejected(arxiv_id: str) -> None:
    """Image/video generation, 3D, medical segmentation and robotics papers are not LLM papers."""
    verdict = llm_relevance(*paper(arxiv_id))
    assert not verdict.is_llm, (REJECTED[arxiv_id], verdict)


@pytest.mark.parametrize("arxiv_id", sorted(ACCEPTED))
def test_llm_and_multimodal_llm_papers_are_accepted(arxiv_id: str) -> None:
    """LLM, LMM and VLM papers pass the topic filter."""
    verdict = llm_relevance(*paper(arxiv_id))
    assert verdict.is_llm, (ACCEPTED[arxiv_id], verdict)


def test_verdict_names_the_phrases_that_decided_it() -> None:
    """Reasons list signed phrases, strongest first, so a verdict can be checked by eye."""
    verdict = llm_relevance("Diffusion Models Meet Large Language Models", "We use an LLM.")
    assert isinstance(verdict, TopicVerdict)
    assert "+llm" in verdict.reasons and "-diffusion" in verdict.reasons
    positive = sum(1 for r in verdict.reasons if r.startswith("+"))
    assert 0 < positive < len(verdict.reasons)


def test_topic_filter_works_from_the_title_alone() -> None:
    """Without an abstract the title decides, and nothing crashes."""
    assert llm_relevance("NVILA: Efficient Frontier Visual Language Models", None).is_llm
    assert llm_relevance("p-MoD: Building Mixture-of-Depths MLLMs", "").is_llm
    assert not llm_relevance("SelfSplat: Pose-Free 3D Gaussian Splatting", None).is_llm
    assert llm_relevance("", None) == TopicVerdict(is_llm=False, score=0.0, reasons=())


def test_topic_filter_is_deterministic() -> None:
    """The same paper always gets the same verdict."""
    title, abstract = paper("2411.15124")
    assert llm_relevance(title, abstract) == llm_relevance(title, abstract)


def test_topic_filter_accuracy_on_labelled_papers() -> None:
    """Precision, recall and accuracy against the hand labels stay near what was measured."""
    rows = labelled()
    predicted = [llm_relevance(r["title"], r["abstract"]).is_llm for r in rows]
    gold = [r["is_llm"] for r in rows]
    tp = sum(p and g for p, g in zip(predicted, gold, strict=True))
    precision = tp / sum(predicted)
    recall = tp / sum(gold)
    accuracy = sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(rows)
    # Measured on 290 papers: precision 0.93, recall 0.88, accuracy 0.92.
    assert precision >= 0.90 and recall >= 0.85 and accuracy >= 0.89


# --- paper kind --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arxiv_id", "kind"),
    [
        ("2411.16594", PaperKind.SURVEY),  # LLM-as-a-judge survey: "survey" in the abstract
        ("2411.18279", PaperKind.SURVEY),  # "...GUI Agents: A Survey"
        ("2411.16489", PaperKind.REPLICATION),  # O1 Replication Journey, part 2
        ("2412.00154", PaperKind.REPLICATION),  # o1-Coder: an o1 replication
        ("2411.17691", PaperKind.SCALING_LAW),  # low-bit quantization scaling laws
        ("2412.04315", PaperKind.SCALING_LAW),  # "Densing Law of LLMs": a named law
        ("2412.03205", PaperKind.BENCHMARK),  # U-MATH benchmark
        ("2411.17451", PaperKind.BENCHMARK),  # VL-RewardBench: named *Bench
        ("2411.15124", PaperKind.OPEN_RELEASE),  # TÜLU 3: fully open models, data, recipes
        ("2412.06845", PaperKind.OPEN_RELEASE),  # Fully Open Source Moxin-7B Technical Report
        ("2411.17116", PaperKind.METHOD),  # Star Attention
        ("2411.19865", PaperKind.METHOD),  # reverse thinking for reasoning
    ],
)
def test_kind_detection_on_real_papers(arxiv_id: str, kind: PaperKind) -> None:
    """Surveys, replications, scaling laws, benchmarks, open releases and methods are told apart."""
    got, why = paper_kind(*paper(arxiv_id))
    assert got is kind, why
    assert bool(why) == (kind is not PaperKind.METHOD)


def test_kind_from_the_title_alone() -> None:
    """Title-only papers are classified from their title."""
    assert paper_kind("Yi-Lightning Technical Report", None)[0] is PaperKind.OPEN_RELEASE
    assert paper_kind("CodeArenaBench: Judging Code LLMs", None)[0] is PaperKind.BENCHMARK
    assert paper_kind("A Survey on Mixture of Experts", None)[0] is PaperKind.SURVEY
    assert paper_kind("DeMo: Decoupled Momentum Optimization", None) == (PaperKind.METHOD, ())


def test_a_passing_mention_is_not_enough() -> None:
    """One ordinary abstract phrase ("on standard benchmarks") does not make a benchmark paper."""
    kind, _ = paper_kind("A Better Optimizer", "We improve results on standard benchmarks.")
    assert kind is PaperKind.METHOD


def test_kind_accuracy_on_labelled_llm_papers() -> None:
    """Kind accuracy on the hand-labelled LLM papers stays near what was measured."""
    rows = [r for r in labelled() if r["is_llm"]]
    right = sum(paper_kind(r["title"], r["abstract"])[0].value == r["kind"] for r in rows)
    # Measured on 127 LLM papers: 0.91.
    assert right / len(rows) >= 0.87
