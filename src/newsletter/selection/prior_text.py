"""What the prior reads in a paper's text: the costly part of scoring it, done once per
paper (in a build, by the worker processes that read the text anyway)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import PaperKind
from newsletter.selection.reading import Analysis, PaperReader
from newsletter.selection.sections import DEFAULT_SECTIONS
from newsletter.selection.topics import Text, TopicModel, tokens

# The topical default sections are fixed research areas here, whatever newsletter.toml says.
AREAS = tuple(s.name for s in DEFAULT_SECTIONS if not s.catch_all)
KINDS = tuple(k.value for k in PaperKind if k is not PaperKind.METHOD)
# Big labs and their model families, as the text names them (affiliations are not in the
# feeds): a weak "known lab" signal, read as words.
LABS = frozenset((
    "google", "deepmind", "openai", "microsoft", "apple", "nvidia", "anthropic", "alibaba",
    "qwen", "deepseek", "mistral", "llama", "gemma", "gemini", "gpt", "chatgpt", "claude",
    "tencent", "bytedance", "salesforce", "ibm", "amazon", "baidu", "stanford", "berkeley",
    "tsinghua", "huggingface", "allenai",
))  # fmt: skip
# The features read from a paper's text (the costly part: `PriorReader`).
TEXT_FEATURES = (
    "LLM relevance",
    "about LLMs",
    *(f"kind {k}" for k in KINDS),
    *(f"area {a}" for a in AREAS),
    "lab named",
)
WORD = re.compile(r"[a-z][a-z0-9]+")  # a word the prior may learn
TOPIC_FULL = 15.0  # a topic score this strong is squarely about LLMs (as score.py has it)
AREA_FULL = 10.0


@dataclass(frozen=True, slots=True)
class Reading:
    """What the prior reads in a paper's text: the costly part of scoring, so a build can
    have it done by the workers that read the text anyway (`PriorReader`)."""

    values: Mapping[str, float]  # the features that come from the text
    title_words: frozenset[str]  # as the phrase tables read them (`topics.Tokens`): only
    words: frozenset[str]  # the prior's vocabulary counts (words that are `WORD`s)


class PriorReader:
    """Reads what the prior weighs in a paper's text, the costly part of scoring: topic,
    kind and the default sections' phrase scores (a `PaperReader` over them), and the words.
    Building one compiles the phrase tables (milliseconds): make one and hand it down, to
    worker processes too."""

    __slots__ = ("reader",)

    def __init__(self, topics: TopicModel | None = None) -> None:
        self.reader = PaperReader(DEFAULT_SECTIONS, topics)

    def read(self, title: Text, abstract: Text, analysis: Analysis | None = None) -> Reading:
        """The text features and words of one paper (its text, or the `Tokens` read of it).
        A build's `analysis` of it is reused: its topic and kind, and its section scores
        when its sections are the defaults."""
        title, abstract = tokens(title), tokens(abstract)
        if analysis is None:
            analysis = self.reader.analyse(title, abstract, keep_off_topic=True)
            assert analysis is not None
        areas = analysis.placed.scores
        if not all(a in areas for a in AREAS):
            areas = self.reader.classifier.classify(title, abstract).scores
        title_words = title.words
        words = title_words | abstract.words
        verdict = analysis.topic
        values = {
            "LLM relevance": max(min(verdict.score, TOPIC_FULL), -TOPIC_FULL) / TOPIC_FULL,
            "about LLMs": float(verdict.is_llm),
            **{f"kind {k}": float(analysis.kind.value == k) for k in KINDS},
            **{f"area {a}": min(max(areas[a], 0.0), AREA_FULL) / AREA_FULL for a in AREAS},
            "lab named": float(not LABS.isdisjoint(words)),
        }
        return Reading(values, title_words, words)

    def read_all(self, papers: Sequence[Paper]) -> list[Reading]:
        return [self.read(p.title, p.abstract) for p in papers]


@dataclass(frozen=True, slots=True)
class TextScore:
    """What the prior makes of a paper's text alone: its text features (in TEXT_FEATURES
    order) and the words' share of its log-odds. Small, so a worker process that reads the
    text hands it back cheaply; the rest of the score needs the week (`Prior.logits`)."""

    values: tuple[float, ...]
    words: float

    @property
    def named(self) -> dict[str, float]:
        return dict(zip(TEXT_FEATURES, self.values, strict=True))


def words_of(text: Text) -> frozenset[str]:
    """The distinct words of a text the prior may learn: the phrase tables' words (`Tokens`)
    of lowercase ASCII letters and digits, starting with a letter."""
    return frozenset(w for w in tokens(text).words if WORD.fullmatch(w))
