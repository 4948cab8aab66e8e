"""Is a paper about large language models, and what kind of paper is it?

Both answers come from weighted key phrases found in the title and the abstract, so every
verdict can name the phrases that decided it. Nothing is downloaded and nothing is random.

`PhraseMatcher` is the shared matching engine (the section classifier uses it too). Text
is tokenised once per string and cached, because the pipeline asks several questions of
the same paper in a row and tokenising is most of the cost.
"""

from __future__ import annotations

import re
import string
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Generic, TypeVar

TITLE_WEIGHT = 3.0
"""A phrase in the title says more about the paper than the same phrase in the abstract."""
ABSTRACT_WEIGHT = 1.0

# --- phrase matching ------------------------------------------------------------------

# Punctuation (ASCII and the typographic kind arXiv abstracts carry) becomes a space, so
# "long-context", "long context" and "(long context)" all tokenise the same way.
_SEPARATORS = str.maketrans(
    {c: " " for c in string.punctuation + "\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u2026"}
)


@lru_cache(maxsize=8192)
def _tokenise(text: str) -> tuple[str, frozenset[str]]:
    """The text as space-padded normalised words, and the set of those words."""
    words = text.lower().translate(_SEPARATORS).split()
    return " " + " ".join(words) + " ", frozenset(words)


def normalise_phrase(phrase: str) -> str:
    """Lowercase words separated by single spaces: the form phrases are matched in."""
    return " ".join(phrase.lower().translate(_SEPARATORS).split())


def _inflect(word: str) -> set[str]:
    """The word with its regular plural or singular, so "law" finds "laws" and back."""
    forms = {word}
    if not word.isalpha() or len(word) < 3:
        forms.add(word + "s")  # acronyms: "llm" -> "llms"
    elif word.endswith(("ss", "us", "is")):
        forms.add(word + "es")
    elif word.endswith(("ches", "shes", "sses", "xes")):
        forms.add(word[:-2])
    elif word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    elif word.endswith("s"):
        forms.add(word[:-1])
    elif word.endswith(("ch", "sh", "x")):
        forms.add(word + "es")
    elif word.endswith("y") and word[-2] not in "aeiou":
        forms.add(word[:-1] + "ies")
    else:
        forms.add(word + "s")
    return forms


def phrase_variants(phrase: str) -> frozenset[str]:
    """Normalised spellings a phrase is matched under: plural/singular, and hyphen-joined.

    "fine-tuning" also finds "finetuning" and "fine tuning"; "mixture-of-experts" finds
    "mixture of expert". Only the last word is inflected: that is where English puts it.
    """
    base = normalise_phrase(phrase)
    if not base:
        return frozenset()
    spellings = {base}
    if "-" in phrase:
        spellings.add(normalise_phrase(phrase.replace("-", "")))
    variants: set[str] = set()
    for spelling in spellings:
        head, _, last = spelling.rpartition(" ")
        variants.update(f"{head} {form}".strip() for form in _inflect(last))
    return frozenset(variants)


class PhraseMatcher:
    """Finds which of a fixed list of phrases occur in a text, on word boundaries.

    Built once; a lookup costs one tokenisation (cached) plus a set intersection and a
    substring test per candidate multi-word phrase, so it stays fast however long the list.
    """

    __slots__ = ("phrases", "_single", "_multi", "_single_keys", "_multi_keys")

    def __init__(self, phrases: Sequence[str]) -> None:
        self.phrases: tuple[str, ...] = tuple(phrases)
        single: dict[str, list[int]] = {}
        multi: dict[str, dict[str, list[int]]] = {}
        for index, phrase in enumerate(self.phrases):
            for variant in phrase_variants(phrase):
                first, _, rest = variant.partition(" ")
                if rest:
                    multi.setdefault(first, {}).setdefault(f" {variant} ", []).append(index)
                else:
                    single.setdefault(variant, []).append(index)
        self._single = {k: tuple(v) for k, v in single.items()}
        self._multi = {
            first: tuple((padded, tuple(ids)) for padded, ids in sorted(found.items()))
            for first, found in multi.items()
        }
        self._single_keys = frozenset(self._single)
        self._multi_keys = frozenset(self._multi)

    def find(self, text: str | None) -> set[int]:
        """Indexes (into `phrases`) of the phrases that occur in `text`."""
        if not text:
            return set()
        padded, words = _tokenise(text)
        hits: set[int] = set()
        for word in words & self._single_keys:
            hits.update(self._single[word])
        for first in words & self._multi_keys:
            for variant, ids in self._multi[first]:
                if variant in padded:
                    hits.update(ids)
        return hits


G = TypeVar("G", bound=Hashable)


class PhraseScorer(Generic[G]):
    """Weighted phrases in groups (a section, a kind, ...), scored over title and abstract.

    A phrase listed in several groups is matched once and credited to each of them.
    """

    __slots__ = ("matcher", "_owners")

    def __init__(self, entries: Iterable[tuple[G, str, float]]) -> None:
        index_of: dict[str, int] = {}
        phrases: list[str] = []
        owners: list[list[tuple[G, float]]] = []
        for group, phrase, weight in entries:
            norm = normalise_phrase(phrase)
            if norm not in index_of:
                index_of[norm] = len(phrases)
                phrases.append(phrase)
                owners.append([])
            owners[index_of[norm]].append((group, weight))
        self.matcher = PhraseMatcher(phrases)
        self._owners = tuple(tuple(o) for o in owners)

    def score(self, title: str, abstract: str | None) -> dict[G, dict[str, float]]:
        """Group -> {phrase: weight x (title and/or abstract weight)} for phrases found."""
        gains: dict[G, dict[str, float]] = {}
        for where_weight, text in ((TITLE_WEIGHT, title), (ABSTRACT_WEIGHT, abstract)):
            for index in self.matcher.find(text):
                label = self.matcher.phrases[index]
                for group, weight in self._owners[index]:
                    found = gains.setdefault(group, {})
                    found[label] = found.get(label, 0.0) + weight * where_weight
        return gains


def _ranked(parts: dict[str, float]) -> tuple[str, ...]:
    """Names by absolute contribution, largest first; ties alphabetical for determinism."""
    return tuple(name for name, _ in sorted(parts.items(), key=lambda kv: (-abs(kv[1]), kv[0])))


# --- topic filter -----------------------------------------------------------------------

LLM_THRESHOLD = 2.0
"""Net score at which a paper counts as being about (multimodal) large language models."""

# Vocabulary that only LLM/VLM work uses. "language model" also fires inside "large
# language model"; the weights are set with that overlap in mind.
_LLM_PHRASES: tuple[tuple[str, float], ...] = (
    ("large language model", 1.0), ("language model", 1.5), ("llm", 2.5),
    ("multimodal large language model", 0.5), ("mllm", 2.5), ("lmm", 2.5),
    ("large multimodal model", 2.5), ("large multi-modal model", 2.5),
    ("vision-language model", 2.0), ("vision language model", 2.0), ("visual language model", 2.0),
    ("vlm", 2.0), ("lvlm", 2.5), ("video-llm", 2.5), ("videollm", 2.5), ("video llm", 2.5),
    ("multimodal llm", 1.0), ("foundation model", 0.5), ("chatbot", 1.5),
    ("gpt-4", 1.0), ("gpt-4o", 1.0), ("gpt-3", 1.0), ("chatgpt", 1.0), ("claude", 1.0),
    ("gemini", 0.5), ("llama", 1.0), ("qwen", 1.0), ("mistral", 1.0), ("gemma", 1.0),
    ("llava", 1.0), ("openai o1", 1.0), ("o1", 1.0), ("phi-3", 1.0),
    ("chain-of-thought", 1.5), ("in-context learning", 1.5), ("instruction tuning", 1.5),
    ("instruction-tuned", 1.5), ("instruction following", 1.0), ("rlhf", 1.5),
    ("direct preference optimization", 1.5), ("dpo", 1.0), ("post-training", 1.5),
    ("supervised fine-tuning", 1.0), ("prompting", 0.5), ("prompt engineering", 1.0),
    ("retrieval-augmented generation", 1.5), ("rag", 1.0), ("llm-as-a-judge", 1.5),
    ("hallucination", 1.0), ("question answering", 0.5), ("reasoning", 0.5),
    ("mathematical reasoning", 1.0), ("code generation", 1.0), ("agent", 0.5),
    ("tool use", 1.0), ("natural language processing", 1.0), ("nlp", 1.0),
    ("next-token prediction", 1.0), ("decoder-only", 1.0), ("kv cache", 1.5),
    ("speculative decoding", 2.0), ("tokens", 0.5), ("technical report", 1.0),
    ("multilingual", 1.0), ("text generation", 1.0), ("generative ai", 0.5),
)

# Vocabulary of the neighbouring fields the newsletter leaves out: image/video/3D
# generation, diffusion, vision-only perception, medical imaging and robotics.
_OFF_TOPIC_PHRASES: tuple[tuple[str, float], ...] = (
    ("diffusion", 1.5), ("diffusion model", 1.0), ("denoising", 1.0), ("text-to-image", 2.0),
    ("text-to-video", 2.0), ("image-to-video", 2.0), ("t2i", 2.0), ("t2v", 2.0),
    ("image generation", 2.0), ("video generation", 2.0), ("image synthesis", 2.0),
    ("video synthesis", 2.0), ("3d generation", 2.0), ("text-to-3d", 2.0), ("image editing", 2.0),
    ("video editing", 2.0), ("inpainting", 1.5), ("style transfer", 1.5), ("stylization", 1.5),
    ("gaussian splatting", 2.0), ("3dgs", 2.0), ("nerf", 2.0), ("radiance field", 2.0),
    ("novel view synthesis", 2.0), ("3d reconstruction", 1.5), ("scene reconstruction", 1.5),
    ("mesh", 1.0), ("point cloud", 1.5), ("3d", 0.5), ("4d", 1.5), ("depth estimation", 1.5),
    ("pose estimation", 1.5), ("point tracking", 1.5), ("object tracking", 1.5),
    ("segmentation", 1.5), ("medical image", 1.5), ("medical imaging", 1.5), ("mri", 1.5),
    ("ct", 1.0), ("tumor", 1.5), ("radiology", 1.0), ("robot", 1.5), ("robotic", 1.5),
    ("locomotion", 1.5), ("manipulation", 0.5), ("visuomotor", 1.5), ("autonomous driving", 1.5),
    ("avatar", 1.5), ("talking head", 1.5), ("portrait", 1.0), ("human motion", 1.5),
    ("motion generation", 1.5), ("relighting", 1.5), ("image restoration", 1.5),
    ("super-resolution", 1.5), ("deblurring", 1.5), ("vae", 1.0), ("variational autoencoder", 1.0),
    ("rectified flow", 1.5), ("flow matching", 1.5), ("gan", 1.0), ("unet", 1.0),
    ("diffusion transformer", 1.5), ("dit", 1.5), ("stable diffusion", 1.5),
    ("classifier-free guidance", 1.5), ("photorealistic", 1.0), ("camera", 1.0),
    ("virtual try-on", 2.0), ("garment", 1.5), ("speech", 1.0), ("audio", 0.5),
)

_TOPIC: PhraseScorer[bool] = PhraseScorer(
    [(True, p, w) for p, w in _LLM_PHRASES] + [(False, p, -w) for p, w in _OFF_TOPIC_PHRASES]
)


@dataclass(frozen=True, slots=True)
class TopicVerdict:
    """Whether a paper is about LLMs, its net score, and the phrases that decided it."""

    is_llm: bool
    score: float
    reasons: tuple[str, ...]


def llm_relevance(title: str, abstract: str | None) -> TopicVerdict:
    """Judge whether a paper is about (multimodal) large language models."""
    gains = _TOPIC.score(title, abstract)
    parts = {**gains.get(True, {}), **gains.get(False, {})}
    score = round(sum(parts.values()), 3)
    reasons = tuple(
        f"{'+' if parts[name] > 0 else '-'}{name}" for name in _ranked(parts)
    )
    return TopicVerdict(is_llm=score >= LLM_THRESHOLD, score=score, reasons=reasons)


# --- paper kind -------------------------------------------------------------------------


class PaperKind(StrEnum):
    SURVEY = "survey"
    BENCHMARK = "benchmark"
    SCALING_LAW = "scaling_law"
    REPLICATION = "replication"
    OPEN_RELEASE = "open_release"
    METHOD = "method"


KIND_THRESHOLD = 2.0
"""A kind needs this much evidence: one title phrase, or two abstract phrases."""

# When two kinds are equally supported the rarer, more specific one wins.
_KIND_PRIORITY = (
    PaperKind.SURVEY, PaperKind.REPLICATION, PaperKind.SCALING_LAW,
    PaperKind.BENCHMARK, PaperKind.OPEN_RELEASE,
)

_KIND_PHRASES: dict[PaperKind, tuple[tuple[str, float], ...]] = {
    PaperKind.SURVEY: (
        ("survey", 2.0), ("surveying", 2.0), ("literature review", 2.0),
        ("systematic review", 2.0), ("a review", 1.0), ("taxonomy", 1.0), ("overview", 0.5),
    ),
    PaperKind.REPLICATION: (
        ("replication", 2.0), ("replicate", 1.5), ("replicating", 1.5),
        ("reproduction", 1.5), ("reproducibility study", 2.0), ("reproduce the results", 1.5),
    ),
    PaperKind.SCALING_LAW: (
        ("scaling law", 2.0), ("power law", 1.0),
        ("compute-optimal", 1.0), ("scaling behavior", 0.5),
        ("predict the performance", 0.5), ("predictable", 0.5),
    ),
    PaperKind.BENCHMARK: (
        ("benchmark", 0.7), ("new benchmark", 1.3), ("novel benchmark", 1.3),
        ("comprehensive benchmark", 1.3), ("challenging benchmark", 1.3),
        ("benchmark dataset", 1.3), ("evaluation suite", 1.3), ("evaluation benchmark", 1.3),
        ("test set", 0.7), ("test cases", 0.7), ("dataset", 0.5), ("new dataset", 1.0),
        ("novel dataset", 1.0), ("large-scale dataset", 1.0), ("corpus", 0.5),
        ("evaluating", 0.5), ("human-annotated", 0.7), ("leaderboard", 1.0),
    ),
    PaperKind.OPEN_RELEASE: (
        ("technical report", 2.0), ("fully open", 2.0), ("fully open-source", 2.0),
        ("open-source model", 1.0), ("open model", 1.0), ("open language model", 1.0),
        ("family of", 1.0), ("model family", 1.0), ("series of", 0.5), ("model weights", 1.0),
        ("checkpoints", 0.5), ("training recipe", 0.7), ("open recipe", 1.0),
        ("permissively licensed", 1.0), ("we release", 0.7), ("open-sourced", 0.5),
        ("openly available", 0.5), ("publicly available", 0.3),
    ),
}

_KINDS: PhraseScorer[PaperKind] = PhraseScorer(
    (kind, phrase, weight) for kind, pairs in _KIND_PHRASES.items() for phrase, weight in pairs
)

# Naming conventions that are evidence on their own: "SomethingBench" for benchmarks, and
# empirical laws named after a gerund or noun ("scaling law", "emergence laws").
_BENCH_NAME = re.compile(r"[a-z0-9]bench\b", re.IGNORECASE)
_LAW_NAME = re.compile(r"\b[a-z]+(?:ing|ence) laws?\b", re.IGNORECASE)


def paper_kind(title: str, abstract: str | None) -> tuple[PaperKind, tuple[str, ...]]:
    """The paper's kind and the phrases that decided it; METHOD when nothing stands out."""
    evidence = _KINDS.score(title, abstract)
    # Cheap substring tests first: the regexes are only worth running on the rare hit.
    if "bench" in title.lower() and _BENCH_NAME.search(title):
        evidence.setdefault(PaperKind.BENCHMARK, {})["*bench (name)"] = KIND_THRESHOLD
    for text in (title, abstract or ""):
        law = _LAW_NAME.search(text) if " law" in text.lower() else None
        if law:
            evidence.setdefault(PaperKind.SCALING_LAW, {})[law.group(0).lower()] = KIND_THRESHOLD
            break
    best, best_score, best_parts = PaperKind.METHOD, 0.0, {}
    for kind in _KIND_PRIORITY:
        parts = evidence.get(kind, {})
        score = sum(parts.values())
        if score >= KIND_THRESHOLD and score > best_score:
            best, best_score, best_parts = kind, score, parts
    return best, _ranked(best_parts)
