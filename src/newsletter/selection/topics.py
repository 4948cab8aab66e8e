"""Is a paper about large language models, and what kind of paper is it?

Both answers come from weighted key phrases found in the title and the abstract, so every
verdict can name the phrases that decided it. Nothing is downloaded and nothing is random.

`PhraseMatcher` is the shared matching engine (the section classifier uses it too). A text
is read into `Tokens` once, and every matcher then reads those: the pipeline asks several
questions of the same paper in a row, and tokenising is most of the cost. `TopicModel`
holds the compiled topic and kind tables; build one and pass it to whatever needs it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from newsletter.domain.taxonomy import PaperKind

TITLE_WEIGHT = 3.0
"""A phrase in the title says more about the paper than the same phrase in the abstract."""
ABSTRACT_WEIGHT = 1.0

# --- phrase matching ------------------------------------------------------------------

# Punctuation (ASCII and the typographic kind arXiv abstracts carry) becomes a space, so
# "long-context", "long context" and "(long context)" all tokenise the same way. A phrase
# never matches across punctuation: "agents, tools" leaves two spaces, not one.
_TYPOGRAPHIC = "\u00a0\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u2026"
_SEPARATORS = str.maketrans(
    dict.fromkeys(string.punctuation + string.whitespace + _TYPOGRAPHIC, " ")
)


@dataclass(frozen=True, slots=True)
class Tokens:
    """A text as every matcher reads it: lowercased, punctuation blanked, space-padded (for
    the adjacency test of a phrase), the set of its words (for the cheap first test), and
    its words in order (for the learned models' word pairs: splitting is the costly part)."""

    padded: str
    words: frozenset[str]
    sequence: Sequence[str] = field(default=(), compare=False)  # never changed after

    @classmethod
    def of(cls, text: str | None) -> Tokens:
        if not text:
            return NO_TOKENS
        flat = text.lower().translate(_SEPARATORS)
        sequence = flat.split()
        return cls(f" {flat} ", frozenset(sequence), sequence)


NO_TOKENS = Tokens(" ", frozenset())
Text = str | Tokens | None
"""What a matcher reads: a text, or the `Tokens` it was already read into."""


def tokens(text: Text) -> Tokens:
    """The text's `Tokens`, read now unless it already is."""
    return text if isinstance(text, Tokens) else Tokens.of(text)


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

    The text is read into its words first (once, whatever number of matchers then read
    it: see `Tokens`). A one-word phrase is then found; a longer one is a candidate only if
    all its words were found, and only candidates get the (comparatively slow) substring
    test for adjacency. So the cost grows with the text and its hits, hardly with the list.
    """

    __slots__ = ("_anchors", "_by_anchor", "phrases")

    def __init__(self, phrases: Sequence[str]) -> None:
        self.phrases: tuple[str, ...] = tuple(phrases)
        spellings: dict[str, list[int]] = {}
        for phrase_id, phrase in enumerate(self.phrases):
            for variant in phrase_variants(phrase):
                spellings.setdefault(variant, []).append(phrase_id)
        by_anchor: dict[str, list[tuple[frozenset[str], str | None, tuple[int, ...]]]] = {}
        for variant, ids in sorted(spellings.items()):
            words = variant.split()
            # The longest word is usually the rarest, so it makes the best anchor.
            anchor = max(words, key=len)
            padded = f" {variant} " if len(words) > 1 else None
            by_anchor.setdefault(anchor, []).append((frozenset(words), padded, tuple(ids)))
        self._by_anchor = {k: tuple(v) for k, v in by_anchor.items()}
        self._anchors = frozenset(by_anchor)

    def find(self, text: Text) -> set[int]:
        """Indexes (into `phrases`) of the phrases that occur in `text`."""
        read = tokens(text)
        padded, present = read.padded, read.words
        hits: set[int] = set()
        for anchor in self._anchors.intersection(present):
            for needed, spelling, ids in self._by_anchor[anchor]:
                if spelling is None or (needed <= present and spelling in padded):
                    hits.update(ids)
        return hits


G = TypeVar("G", bound=Hashable)


class PhraseScorer(Generic[G]):
    """Weighted phrases in groups (a section, a kind, ...), scored over title and abstract.

    A phrase listed in several groups is matched once and credited to each of them.
    """

    __slots__ = ("_credit", "matcher")

    def __init__(self, entries: Iterable[tuple[G, str, float]]) -> None:
        index_of: dict[str, int] = {}
        phrases: list[str] = []
        owners: list[list[tuple[G, float]]] = []
        spelled: dict[tuple[G, str], str] = {}
        for group, phrase, weight in entries:
            # Two phrases of one group that share a spelling would count one match twice.
            for variant in phrase_variants(phrase):
                other = spelled.setdefault((group, variant), phrase)
                if other != phrase:
                    raise ValueError(f"{phrase!r} and {other!r} overlap in group {group!r}")
            norm = normalise_phrase(phrase)
            if norm not in index_of:
                index_of[norm] = len(phrases)
                phrases.append(phrase)
                owners.append([])
            owners[index_of[norm]].append((group, weight))
        self.matcher = PhraseMatcher(phrases)
        # Per phrase and place: (label, ((group, gain), ...)), precomputed for speed.
        self._credit = tuple(
            tuple(
                (label, tuple((g, w * place) for g, w in owned))
                for label, owned in zip(phrases, owners, strict=True)
            )
            for place in (TITLE_WEIGHT, ABSTRACT_WEIGHT)
        )

    def score(self, title: Text, abstract: Text) -> dict[G, dict[str, float]]:
        """Group -> {phrase: weight x (title and/or abstract weight)} for phrases found."""
        gains: dict[G, dict[str, float]] = {}
        for credit, text in zip(self._credit, (title, abstract), strict=True):
            for index in self.matcher.find(text):
                label, owned = credit[index]
                for group, gain in owned:
                    found = gains.get(group)
                    if found is None:
                        gains[group] = {label: gain}
                    else:
                        found[label] = found.get(label, 0.0) + gain
        return gains


def _ranked(parts: dict[str, float]) -> tuple[str, ...]:
    """Names by absolute contribution, largest first; ties alphabetical for determinism."""
    return tuple(name for name, _ in sorted(parts.items(), key=lambda kv: (-abs(kv[1]), kv[0])))


# --- topic filter -----------------------------------------------------------------------

LLM_THRESHOLD = 2.0
"""Net score at which a paper counts as being about (multimodal) large language models."""

# Vocabulary that only LLM/VLM work uses. "language model" also fires inside "large
# language model"; the weights are set with that overlap in mind.
# fmt: off
_LLM_PHRASES: tuple[tuple[str, float], ...] = (
    ("large language model", 1.0), ("language model", 1.5), ("llm", 2.5),
    ("multimodal large language model", 0.5), ("mllm", 2.5), ("lmm", 2.5),
    ("large multi-modal model", 2.5),
    ("vision-language model", 2.0), ("visual language model", 2.0),
    ("vlm", 2.0), ("lvlm", 2.5), ("video-llm", 2.5),
    ("multimodal llm", 1.0), ("foundation model", 0.5), ("chatbot", 1.5),
    ("gpt-4", 1.0), ("gpt-4o", 1.0), ("gpt-3", 1.0), ("chatgpt", 1.0), ("claude", 1.0),
    ("gemini", 0.5), ("llama", 1.0), ("qwen", 1.0), ("mistral", 1.0), ("gemma", 1.0),
    ("llava", 1.0), ("openai o1", 1.0), ("o1", 1.0), ("phi-3", 1.0), ("internvl", 1.0),
    # Model names glued to their version ("LLaMA2-13B") tokenise as one word.
    ("llama2", 1.0), ("llama3", 1.0), ("qwen2", 1.0), ("gemma2", 1.0),
    ("chain-of-thought", 1.5), ("in-context learning", 1.5), ("instruction tuning", 1.5),
    ("instruction-tuned", 1.5), ("instruction following", 1.0), ("rlhf", 1.5),
    ("direct preference optimization", 1.5), ("dpo", 1.0), ("post-training", 1.5),
    ("supervised fine-tuning", 1.0), ("prompting", 0.5), ("prompt engineering", 1.0),
    ("retrieval-augmented generation", 1.5), ("rag", 1.0), ("llm-as-a-judge", 1.5),
    ("hallucination", 1.0), ("question answering", 0.7), ("reasoning", 0.5),
    ("reward model", 1.0), ("process reward model", 1.0), ("web agent", 1.0), ("gui agent", 1.5),
    ("mathematical reasoning", 1.0), ("code generation", 1.0), ("agent", 0.5),
    ("tool use", 1.0), ("natural language processing", 1.0), ("nlp", 1.0),
    ("next-token prediction", 1.0), ("decoder-only", 1.0), ("kv cache", 1.5),
    ("speculative decoding", 2.0), ("tokens", 0.5), ("technical report", 1.0),
    ("multilingual", 0.5), ("text generation", 1.0), ("generative ai", 0.5),
)

# Vocabulary of the neighbouring fields the newsletter leaves out: image/video/3D
# generation, diffusion, vision-only perception, medical imaging and robotics.
_OFF_TOPIC_PHRASES: tuple[tuple[str, float], ...] = (
    ("diffusion", 1.5), ("diffusion model", 1.0), ("denoising", 1.0), ("text-to-image", 2.0),
    ("text-to-video", 2.5), ("image-to-video", 2.5), ("t2i", 2.0), ("t2v", 2.0),
    ("image generation", 2.5), ("video generation", 2.5), ("image synthesis", 2.0),
    ("video synthesis", 2.0), ("3d generation", 2.0), ("text-to-3d", 2.0), ("image editing", 2.0),
    ("video editing", 2.0), ("inpainting", 1.5), ("style transfer", 1.5), ("stylization", 1.5),
    ("gaussian splatting", 2.0), ("3dgs", 2.0), ("nerf", 2.0), ("radiance field", 2.0),
    ("novel view synthesis", 2.0), ("3d reconstruction", 1.5), ("scene reconstruction", 1.5),
    ("mesh", 1.0), ("point cloud", 1.5), ("3d", 0.5), ("4d", 1.5), ("depth estimation", 1.5),
    ("3d object", 1.0), ("3d asset", 1.5),
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
# fmt: on

_TOPIC_ENTRIES: tuple[tuple[bool, str, float], ...] = tuple(
    [(True, p, w) for p, w in _LLM_PHRASES] + [(False, p, -w) for p, w in _OFF_TOPIC_PHRASES]
)


@dataclass(frozen=True, slots=True)
class TopicVerdict:
    """Whether a paper is about LLMs, its net score, and the phrases that decided it."""

    is_llm: bool
    score: float
    reasons: tuple[str, ...]


# --- paper kind -------------------------------------------------------------------------


KIND_THRESHOLD = 2.0
"""A kind needs this much evidence: one title phrase, or two abstract phrases."""

# fmt: off
# When two kinds are equally supported the rarer, more specific one wins.
_KIND_PRIORITY = (PaperKind.SURVEY, PaperKind.REPLICATION, PaperKind.SCALING_LAW,
                  PaperKind.BENCHMARK, PaperKind.OPEN_RELEASE)

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
        ("evaluating", 0.7), ("evaluation", 0.3), ("human-annotated", 0.7), ("leaderboard", 1.0),
        ("bench", 0.7), ("benchmark to evaluate", 1.3), ("benchmark to assess", 1.3),
        ("benchmark designed", 1.3), ("benchmark for evaluating", 1.3), ("a benchmark", 0.6),
    ),
    PaperKind.OPEN_RELEASE: (
        ("technical report", 2.0), ("fully open", 2.0), ("fully open-source", 2.0),
        ("open-source model", 1.0), ("open model", 1.0), ("open language model", 1.0),
        ("family of", 1.0), ("model family", 1.0), ("series of", 0.5), ("model weights", 1.0),
        ("checkpoints", 0.5), ("training recipe", 0.7), ("open recipe", 1.0),
        ("permissively licensed", 1.0), ("we release", 0.7), ("open-sourced", 0.5),
        ("openly available", 0.5), ("publicly available", 0.3), ("huggingface", 0.7),
        ("open-source", 0.5), ("downloaded", 0.5),
    ),
}
# fmt: on

KIND_ENTRIES: tuple[tuple[PaperKind, str, float], ...] = tuple(
    (kind, phrase, weight) for kind, pairs in _KIND_PHRASES.items() for phrase, weight in pairs
)
"""(kind, phrase, weight) triples, for scorers that want to detect the kind in passing."""

# Naming conventions that are evidence on their own: "SomethingBench" for benchmarks, and
# empirical laws named after a gerund or noun ("scaling law", "emergence laws").
_BENCH_NAME = re.compile(r"[a-z0-9]bench\b")
_LAW_NAME = re.compile(r" [a-z]+(?:ing|ence) laws? ")


class TopicModel:
    """The topic filter and the kind detector, their phrase tables compiled once.

    Building one costs a few milliseconds; it never changes after, so one instance serves a
    whole build (worker processes get a copy). Every method takes a text or its `Tokens`.
    """

    __slots__ = ("_kinds", "_topic")

    def __init__(self) -> None:
        self._topic: PhraseScorer[bool] = PhraseScorer(_TOPIC_ENTRIES)
        self._kinds: PhraseScorer[PaperKind] = PhraseScorer(KIND_ENTRIES)

    def relevance(self, title: Text, abstract: Text) -> TopicVerdict:
        """Judge whether a paper is about (multimodal) large language models."""
        gains = self._topic.score(title, abstract)
        parts = {**gains.get(True, {}), **gains.get(False, {})}
        score = round(sum(parts.values()), 3)
        reasons = tuple(f"{'+' if parts[name] > 0 else '-'}{name}" for name in _ranked(parts))
        return TopicVerdict(is_llm=score >= LLM_THRESHOLD, score=score, reasons=reasons)

    def kind(self, title: Text, abstract: Text) -> tuple[PaperKind, tuple[str, ...]]:
        """The paper's kind and the phrases that decided it; METHOD when nothing stands out."""
        title, abstract = tokens(title), tokens(abstract)
        return decide_kind(self._kinds.score(title, abstract), title, abstract)


def decide_kind(
    evidence: dict[PaperKind, dict[str, float]], title: Text, abstract: Text
) -> tuple[PaperKind, tuple[str, ...]]:
    """Pick the kind from phrase evidence (as `PhraseScorer.score` gives) and naming habits."""
    named = _naming_evidence(tokens(title), tokens(abstract))
    best, best_score, best_parts = PaperKind.METHOD, 0.0, {}
    for kind in _KIND_PRIORITY:
        parts = evidence.get(kind, {})
        if kind in named:
            parts = {**parts, **named[kind]}
        score = sum(parts.values())
        if score >= KIND_THRESHOLD and score > best_score:
            best, best_score, best_parts = kind, score, parts
    return best, _ranked(best_parts)


def _naming_evidence(title: Tokens, abstract: Tokens) -> dict[PaperKind, dict[str, float]]:
    """Kinds given away by naming habits alone ("VL-RewardBench", "densing law")."""
    found: dict[PaperKind, dict[str, float]] = {}
    title_text = title.padded
    # Cheap substring tests first: the regexes are only worth running on the rare hit.
    if "bench" in title_text and _BENCH_NAME.search(title_text):
        found[PaperKind.BENCHMARK] = {"*bench (name)": KIND_THRESHOLD}
    for text in (title_text, abstract.padded):
        law = _LAW_NAME.search(text) if " law" in text else None
        if law:
            found[PaperKind.SCALING_LAW] = {law.group(0).strip(): KIND_THRESHOLD}
            break
    return found
