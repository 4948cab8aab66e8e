"""The newsletter's numbered sections, and which one a paper belongs in.

A section is scored by the key phrases it lists (a title match counts `TITLE_WEIGHT`
times an abstract match) plus a bonus when the paper's kind is one the section collects:
the editor files surveys, benchmarks, replications and model releases under "Progress &
Benchmarking" even when their topic is judging or reasoning, unless the topic is strong
(TÜLU 3, an open release, went to Training). The highest score wins, ties go to the earlier
section, and a paper with too little signal goes to the catch-all. Scores and fired phrases
are kept so every placement explains itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from newsletter.domain.taxonomy import PaperKind, Section
from newsletter.errors import ConfigError
from newsletter.selection.section_words import derived_keywords
from newsletter.selection.topics import (
    KIND_ENTRIES,
    PhraseScorer,
    Text,
    decide_kind,
    phrase_variants,
    tokens,
)

MIN_SCORE = 2.0
"""Below this, a paper's best topical section is too weak a guess: it goes to the catch-all."""
KIND_BONUS = 10.0
"""What it is worth to a section that the paper is of a kind the section collects."""


@dataclass(frozen=True, slots=True)
class Classification:
    """Where a paper goes, and why: every section's score and the phrases that fired."""

    section: Section
    scores: dict[str, float]
    matched: dict[str, tuple[str, ...]]
    kind: PaperKind = PaperKind.METHOD


PROGRESS = "LLM Progress & Benchmarking"
OTHER = "Other LLM Research"

# The keyword tables are data; one phrase per line would hide them, so no auto-format.
# fmt: off
DEFAULT_SECTIONS: tuple[Section, ...] = (
    Section(
        PROGRESS,
        "Where the field stands: surveys, benchmarks, new model families and technical "
        "reports, replications, scaling and capability studies.",
        (
            "benchmark", "benchmarking", "survey", "technical report", "model family",
            "family of models", "frontier model", "open model", "emergent capabilities",
            "capability density", "replication", "leaderboard", "scaling law",
        ),
        kinds=("survey", "benchmark", "replication", "open_release"),
        aliases=("LLM Progress & Technical Reports",),
    ),
    Section(
        "Transformers",
        "Architectures: attention, long context, mixture-of-experts, state space models "
        "and other alternatives to the Transformer.",
        (
            "transformer", "architecture^0.5", "attention", "self-attention", "sparse attention",
            "linear attention", "attention mechanism", "attention head",
            "long-context", "long sequence", "context window", "context length",
            "mixture-of-experts", "moe", "experts^0.5", "mixture-of-depths", "state space model",
            "ssm", "mamba", "linear rnn", "recurrent", "positional encoding",
            "position embedding", "rope", "induction head", "decoder-only", "layers^0.5",
            "forward pass",
        ),
        aliases=("Attention Models",),
    ),
    Section(
        "LLM Training",
        "How models are made: pre- and post-training, fine-tuning, RLHF and preference "
        "optimisation, instruction tuning, optimisers and training data.",
        (
            "pre-training", "post-training", "fine-tuning",
            "instruction-tuning", "supervised fine-tuning", "sft", "rlhf", "dpo",
            "preference optimization", "reinforcement learning", "alignment^0.5",
            "training data", "data synthesis", "synthetic data", "data curation",
            "data mixture", "continual pre-training", "training recipe", "training strategy",
            "optimizer", "adamw", "lora", "parameter-efficient", "peft", "model merging",
            "instruction data", "instruction-following data", "dataset^0.5", "training^0.5",
            "convergence", "learning rate",
        ),
        aliases=("LLM Training & Fine Tuning", "LLM Training & Fine-Tuning", "Post Training & RL",
                 "LLM Preference Optimization & Alignment"),
    ),
    Section(
        "LLM Quantization & Optimization",
        "Making models cheaper to run: quantization, pruning, distillation for efficiency, "
        "efficient inference, speculative decoding, KV cache, token merging and reduction.",
        (
            "quantization", "quantized", "low-bit", "int4", "int8", "fp8", "pruning",
            "sparsity", "distillation", "efficient inference", "inference efficiency",
            "inference speed", "acceleration", "accelerate", "speedup", "latency",
            "throughput^0.5", "speculative decoding", "draft model", "kv cache", "memory footprint",
            "memory usage", "token pruning", "token merging", "token reduction",
            "visual tokens", "token compression", "compression", "efficient^0.5", "efficiency^0.5",
            "on-device", "edge devices", "inference cost", "computational cost^0.5",
            "computational overhead^0.5", "flops", "hardware^0.5", "gpu^0.5", "cpu",
            "lightweight^0.5", "redundancy^0.5", "redundant^0.5",
        ),
        aliases=("LLM Quantization", "LLM Scaling & Optimization"),
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
            "self-consistency", "step-by-step", "problem-solving",
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
            "evaluation^0.5", "evaluator", "llm-as-a-judge", "judge", "judging", "reward model",
            "generative reward model", "hallucination", "factuality", "factual",
            "human evaluation", "human preference", "annotations", "metric", "assessment",
            "arena", "contamination", "calibration", "uncertainty",
        ),
        aliases=("LLM Evaluation & Benchmarking",),
    ),
    Section(
        "LLM Agents",
        "Models that act: agents, tool use, GUI and web agents, planning and multi-agent "
        "systems.",
        (
            "agent^2", "agentic^2", "tool-use", "tool learning", "tools",
            "function calling", "gui", "web agent", "web^0.5", "browser", "planning", "planner",
            "multi-agent", "embodied", "navigation", "environment^0.5", "interactive^0.5",
            "autonomous^0.5", "action^0.5", "workflow", "screenshot",
        ),
        aliases=("AI Agents",),
    ),
    Section(
        OTHER,
        "Everything else about large language models worth reading this week.",
        catch_all=True,
    ),
)
# fmt: on


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


class SectionClassifier:
    """A section list compiled for classifying: one matcher over every section's phrases
    (credited by section index) and the kind phrases, so a paper is read and matched once.

    Compiling costs milliseconds, classifying a paper microseconds: build one per section
    list and hand it down (it never changes after; worker processes get a copy).
    """

    __slots__ = ("_catch_all", "_kinds", "_names", "_scorer", "sections")

    def __init__(self, sections: Sequence[Section] = DEFAULT_SECTIONS) -> None:
        if not sections:
            raise ValueError("classify needs at least one section")
        self.sections = tuple(sections)
        entries: list[tuple[int | PaperKind, str, float]] = list(KIND_ENTRIES)
        for index, section in enumerate(self.sections):
            entries.extend((index, *parse_keyword(keyword)) for keyword in section.keywords)
        self._names = tuple(s.name for s in self.sections)
        self._kinds = tuple(frozenset(s.kinds) for s in self.sections)
        self._catch_all = next((i for i, s in enumerate(self.sections) if s.catch_all), None)
        self._scorer: PhraseScorer[int | PaperKind] = PhraseScorer(entries)

    def classify(self, title: Text, abstract: Text) -> Classification:
        """Place a paper in exactly one section, with every section's score and fired phrases.

        The best-scoring section wins; ties go to the earlier section. If even the best
        score is below `MIN_SCORE` the paper goes to the catch-all (without one, to the best
        anyway, which for a paper with no signal at all is the first section).
        """
        title, abstract = tokens(title), tokens(abstract)
        gains = self._scorer.score(title, abstract)
        kind, _ = decide_kind(
            {g: v for g, v in gains.items() if isinstance(g, PaperKind)}, title, abstract
        )
        names = self._names
        fired: list[dict[str, float]] = [gains.get(i, {}) for i in range(len(names))]
        for index, kinds in enumerate(self._kinds):
            if kind in kinds:
                fired[index] = {**fired[index], f"[kind: {kind}]": KIND_BONUS}
        scores = [sum(f.values()) for f in fired]
        return Classification(
            section=self.sections[_winner(scores, self._catch_all)],
            scores={n: round(v, 3) for n, v in zip(names, scores, strict=True)},
            matched={n: _by_gain(f) if f else () for n, f in zip(names, fired, strict=True)},
            kind=kind,
        )


def _winner(scores: Sequence[float], catch_all: int | None) -> int:
    """Index of the top score (earliest section on ties); the catch-all if that is too weak."""
    best = 0
    for index, score in enumerate(scores):
        if score > scores[best]:
            best = index
    if catch_all is not None and scores[best] < MIN_SCORE:
        return catch_all
    return best


def _by_gain(gains: Mapping[str, float]) -> tuple[str, ...]:
    return tuple(name for name, _ in sorted(gains.items(), key=lambda kv: (-kv[1], kv[0])))


# --- configuration ----------------------------------------------------------------------

_FIELDS = {"name", "description", "keywords", "catch_all", "kinds", "aliases", "examples"}


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
        if not (section.keywords or section.kinds or section.catch_all or section.examples):
            raise ConfigError(
                f"sections: {section.name!r} has no keywords, kinds or examples to learn from, "
                "and its name and description give no words to place papers by",
                hint="add a description with a few key phrases, or keywords",
            )
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
    keywords = _keywords(where, table.get("keywords", []))
    if not keywords and not catch_all:  # a section named and described only
        keywords = derived_keywords(name, description)
    return Section(
        name=name.strip(),
        description=description.strip(),
        keywords=keywords,
        catch_all=catch_all,
        kinds=_kinds(where, table.get("kinds", [])),
        aliases=_strings(where, "aliases", table.get("aliases", [])),
        examples=_strings(where, "examples", table.get("examples", [])),
    )


def _strings(where: str, key: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(x.strip() for x in raw)


def _keywords(where: str, raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise ConfigError(f"{where}: 'keywords' must be a list of strings")
    keywords: list[str] = []
    seen: dict[str, str] = {}
    for keyword in raw:
        try:
            phrase, weight = parse_keyword(keyword)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        variants = phrase_variants(phrase)
        if not variants:
            raise ConfigError(f"{where}: keyword {keyword!r} has no letters or digits")
        # "llm" and "LLMs" (or "pre-training" and "pretraining") would count a match twice.
        clash = next((seen[v] for v in sorted(variants) if v in seen), None)
        if clash is not None:
            raise ConfigError(f"{where}: keyword {phrase!r} is listed twice (as {clash!r})")
        seen.update(dict.fromkeys(variants, phrase))
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
