"""The newsletter's numbered sections, and which one a paper belongs in.

A section is scored by the key phrases it lists (a title match counts `TITLE_WEIGHT`
times an abstract match) plus a bonus when the paper's kind is one the section collects
(the editor files surveys, benchmarks and replications under "Progress & Benchmarking"
whatever their topic). The highest score wins, ties go to the earlier section, and a paper
with too little signal goes to the catch-all. Scores and fired phrases are kept so every
placement explains itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from newsletter.errors import ConfigError
from newsletter.topics import PaperKind, PhraseScorer, normalise_phrase, paper_kind

MIN_SCORE = 2.0
"""Below this, a paper's best topical section is too weak a guess: it goes to the catch-all."""
KIND_BONUS = 5.0
"""What it is worth to a section that the paper is of a kind the section collects."""


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the issue.

    `keywords` are lowercase key phrases; "phrase^2" gives a phrase twice the default
    weight of 1. `kinds` are `PaperKind` values the section collects regardless of topic.
    """

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    catch_all: bool = False
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Classification:
    """Where a paper goes, and why: every section's score and the phrases that fired."""

    section: str
    scores: dict[str, float]
    matched: dict[str, tuple[str, ...]]
    kind: PaperKind = PaperKind.METHOD


PROGRESS = "LLM Progress & Benchmarking"
OTHER = "Other LLM Research"

DEFAULT_SECTIONS: tuple[Section, ...] = (
    Section(
        PROGRESS,
        "Where the field stands: surveys, benchmarks, new model families and technical "
        "reports, replications, scaling and capability studies.",
        (
            "benchmark", "benchmarking", "survey", "technical report", "model family",
            "family of models", "frontier model", "open model", "emergent capabilities",
            "capability density", "replication", "leaderboard",
        ),
        kinds=("survey", "benchmark", "replication", "scaling_law"),
    ),
    Section(
        "Transformers",
        "Architectures: attention, long context, mixture-of-experts, state space models "
        "and other alternatives to the Transformer.",
        (
            "transformer", "architecture^0.5", "attention", "self-attention", "sparse attention",
            "linear attention", "attention mechanism", "attention head", "long context",
            "long-context", "long sequence", "context window", "context length",
            "mixture-of-experts", "moe", "experts", "mixture-of-depths", "state space model",
            "ssm", "mamba", "linear rnn", "recurrent", "positional encoding",
            "position embedding", "rope", "induction head", "decoder-only", "layers^0.5",
            "forward pass",
        ),
    ),
    Section(
        "LLM Training",
        "How models are made: pre- and post-training, fine-tuning, RLHF and preference "
        "optimisation, instruction tuning, optimisers and training data.",
        (
            "pre-training", "pretraining", "post-training", "fine-tuning", "instruction tuning",
            "instruction-tuning", "supervised fine-tuning", "sft", "rlhf", "dpo",
            "preference optimization", "reinforcement learning", "alignment^0.5",
            "training data", "data synthesis", "synthetic data", "data curation",
            "data mixture", "continual pre-training", "training recipe", "training strategy",
            "optimizer", "adamw", "lora", "parameter-efficient", "peft", "model merging",
            "instruction data", "instruction-following data", "dataset^0.5", "training^0.5",
            "convergence", "learning rate",
        ),
    ),
    Section(
        "LLM Quantization & Optimization",
        "Making models cheaper to run: quantization, pruning, distillation for efficiency, "
        "efficient inference, speculative decoding, KV cache, token merging and reduction.",
        (
            "quantization", "quantized", "low-bit", "int4", "int8", "fp8", "pruning",
            "sparsity", "distillation", "efficient inference", "inference efficiency",
            "inference speed", "acceleration", "accelerate", "speedup", "latency",
            "throughput", "speculative decoding", "draft model", "kv cache", "memory footprint",
            "memory usage", "token pruning", "token merging", "token reduction",
            "visual tokens", "token compression", "compression", "efficient", "efficiency",
            "on-device", "edge devices", "inference cost", "computational cost",
            "computational overhead", "flops", "hardware", "gpu", "cpu", "lightweight",
            "redundancy", "redundant",
        ),
    ),
    Section(
        "LLM Reasoning",
        "How models think: mathematical and logical reasoning, chain of thought, o1-style "
        "test-time compute, and interpretability of what happens inside.",
        (
            "reasoning", "reasoner", "chain-of-thought", "cot", "math", "mathematical",
            "mathematical reasoning", "logical reasoning", "multi-step reasoning", "o1",
            "test-time compute", "inference-time", "test-time", "search", "mcts",
            "monte carlo tree search", "process reward model", "prm", "verifier",
            "self-consistency", "step-by-step", "problem solving", "problem-solving",
            "thinking", "gsm8k", "interpretability", "interpretable", "interpret",
            "sparse autoencoder", "mechanistic", "internal representations", "features^0.5",
            "critic",
        ),
    ),
    Section(
        "Retrieval Augmented Generation (RAG)",
        "Grounding models in outside knowledge: retrieval-augmented generation, retrievers, "
        "knowledge bases and document pipelines.",
        (
            "retrieval-augmented generation", "retrieval augmented", "rag^2", "retrieval",
            "retriever", "retrieve", "knowledge base", "external knowledge", "reranking",
            "dense retrieval", "embedding model", "vector database", "document retrieval",
        ),
    ),
    Section(
        "LLM Evaluation",
        "How we measure models: evaluation methods, LLM-as-a-judge, reward models used as "
        "evaluators, human evaluation, hallucination and factuality measurement.",
        (
            "evaluation", "evaluator", "llm-as-a-judge", "judge", "judging", "reward model",
            "generative reward model", "hallucination", "factuality", "factual",
            "human evaluation", "human preference", "annotations", "metric", "assessment",
            "arena", "contamination", "calibration", "uncertainty",
        ),
    ),
    Section(
        "LLM Agents",
        "Models that act: agents, tool use, GUI and web agents, planning and multi-agent "
        "systems.",
        (
            "agent^2", "agents^2", "agentic^2", "tool use", "tool-use", "tool learning", "tools",
            "function calling", "gui", "web agent", "web", "browser", "planning", "planner",
            "multi-agent", "embodied", "navigation", "environment", "interactive", "autonomous",
            "action", "workflow", "screenshot",
        ),
    ),
    Section(
        OTHER,
        "Everything else about large language models worth reading this week.",
        catch_all=True,
    ),
)


# --- classification ---------------------------------------------------------------------


def parse_keyword(keyword: str) -> tuple[str, float]:
    """Split "phrase^2" into ("phrase", 2.0); a plain phrase weighs 1."""
    phrase, caret, weight_text = keyword.rpartition("^")
    if not caret:
        return keyword.strip(), 1.0
    try:
        weight = float(weight_text)
    except ValueError:
        raise ValueError(f"weight after '^' must be a number: {keyword!r}") from None
    if not weight > 0:
        raise ValueError(f"weight after '^' must be positive: {keyword!r}")
    return phrase.strip(), weight


@lru_cache(maxsize=32)
def _scorer(sections: tuple[Section, ...]) -> PhraseScorer[int]:
    """One matcher for all sections' phrases (by section index); built once per section list."""
    return PhraseScorer(
        (index, *parse_keyword(keyword))
        for index, section in enumerate(sections)
        for keyword in section.keywords
    )


def classify(
    title: str, abstract: str | None, sections: Sequence[Section] = DEFAULT_SECTIONS
) -> Classification:
    """Place a paper in exactly one section, with every section's score and fired phrases."""
    if not sections:
        raise ValueError("classify needs at least one section")
    sections = tuple(sections)
    gains = _scorer(sections).score(title, abstract)
    kind, _ = paper_kind(title, abstract)
    for index, section in enumerate(sections):
        if kind.value in section.kinds:
            gains.setdefault(index, {})[f"[kind: {kind.value}]"] = KIND_BONUS
    scores = [sum(gains.get(i, {}).values()) for i in range(len(sections))]
    return Classification(
        section=sections[_winner(sections, scores)].name,
        scores={s.name: round(v, 3) for s, v in zip(sections, scores)},
        matched={s.name: _by_gain(gains.get(i, {})) for i, s in enumerate(sections)},
        kind=kind,
    )


def _winner(sections: Sequence[Section], scores: Sequence[float]) -> int:
    """Index of the top score (earliest section on ties); the catch-all if that is too weak."""
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    catch_all = next((i for i, s in enumerate(sections) if s.catch_all), None)
    if catch_all is not None and scores[best] < MIN_SCORE:
        return catch_all
    return best


def _by_gain(gains: Mapping[str, float]) -> tuple[str, ...]:
    return tuple(name for name, _ in sorted(gains.items(), key=lambda kv: (-kv[1], kv[0])))


# --- configuration ----------------------------------------------------------------------

_FIELDS = {"name", "description", "keywords", "catch_all", "kinds"}


def sections_from_config(raw: list[dict[str, Any]]) -> tuple[Section, ...]:
    """Sections from newsletter.toml `[[sections]]` tables, validated; ConfigError if wrong."""
    if not isinstance(raw, list) or not raw:
        raise ConfigError("sections: give at least one [[sections]] table")
    sections = tuple(_section_from_table(i, table) for i, table in enumerate(raw, start=1))
    seen: set[str] = set()
    for section in sections:
        if section.name.casefold() in seen:
            raise ConfigError(f"sections: name {section.name!r} is used twice")
        seen.add(section.name.casefold())
    catch_alls = [s.name for s in sections if s.catch_all]
    if len(catch_alls) > 1:
        raise ConfigError(f"sections: only one may be catch_all, found {', '.join(catch_alls)}")
    for section in sections:
        if not section.keywords and not section.kinds and not section.catch_all:
            raise ConfigError(f"sections: {section.name!r} has no keywords or kinds to match")
    return sections


def _section_from_table(position: int, table: Any) -> Section:
    where = f"sections[{position}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table with name, description and keywords")
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' must be a non-empty string")
    where = f"section {name.strip()!r}"
    description = table.get("description", "")
    if not isinstance(description, str):
        raise ConfigError(f"{where}: 'description' must be a string")
    catch_all = table.get("catch_all", False)
    if not isinstance(catch_all, bool):
        raise ConfigError(f"{where}: 'catch_all' must be true or false")
    return Section(
        name=name.strip(),
        description=description.strip(),
        keywords=_keywords(where, table.get("keywords", [])),
        catch_all=catch_all,
        kinds=_kinds(where, table.get("kinds", [])),
    )


def _keywords(where: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise ConfigError(f"{where}: 'keywords' must be a list of strings")
    keywords: list[str] = []
    seen: set[str] = set()
    for keyword in raw:
        try:
            phrase, weight = parse_keyword(keyword)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        norm = normalise_phrase(phrase)
        if not norm:
            raise ConfigError(f"{where}: keyword {keyword!r} has no letters or digits")
        if norm in seen:
            raise ConfigError(f"{where}: keyword {phrase!r} is listed twice")
        seen.add(norm)
        keywords.append(phrase.lower() if weight == 1.0 else f"{phrase.lower()}^{weight:g}")
    return tuple(keywords)


def _kinds(where: str, raw: Any) -> tuple[str, ...]:
    valid = [k.value for k in PaperKind]
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise ConfigError(f"{where}: 'kinds' must be a list of strings")
    for kind in raw:
        if kind not in valid:
            raise ConfigError(f"{where}: unknown kind {kind!r} (choose from {', '.join(valid)})")
    return tuple(raw)
