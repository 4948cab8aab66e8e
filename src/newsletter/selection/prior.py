"""A prior for what matters in a week, learned from a public curator and shipped as data.

The editor's own decisions are few; a public curator's weekly picks (DAIR.AI's "ML Papers
of the Week", 23 weeks of 2024 with the Hugging Face lists of those weeks) say in general
which papers of a week's list matter. The prior is a linear model over signals that carry
from one curator to another: upvotes and comments relative to the week and the day, how
squarely the paper is about LLMs, its kind, its research area (the default sections'
phrase tables), its author count, a big lab named, and the words of its text.

It ships as plain JSON (`prior.json` beside this module: feature names, their scaling,
coefficients, the word vocabulary with its idf and coefficients, a format name and a
version), written by `bench/train_prior.py` and read here without pickle: anything that is
not exactly that shape is refused. Scoring needs no scikit-learn: a dot product.

`score(papers)` takes a week's papers together, because upvotes count relative to the
week's list, and gives each paper its log-odds, its probability, and each feature's
contribution (relative to an average paper of the training weeks) for the "why".
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from newsletter.domain.issue import ScorePart
from newsletter.domain.papers import Paper
from newsletter.errors import NewsletterError
from newsletter.selection.prior_text import (
    AREA_FULL,
    TEXT_FEATURES,
    TOPIC_FULL,
    WORD,
    PriorReader,
    Reading,
    TextScore,
)
from newsletter.selection.reading import Analysis
from newsletter.selection.topics import Text

FORMAT = "newsletter.prior"
VERSION = 1  # bump when a feature's meaning changes: an older file is then refused
PRIOR_FILE = Path(__file__).with_name("prior.json")

FEATURES = (
    "upvotes",
    "upvotes today",
    "comments",
    *TEXT_FEATURES[:-1],
    "authors",
    TEXT_FEATURES[-1],
)
TEXTS = ("none", "title", "full")  # which words the model reads


class PriorFileError(NewsletterError):
    """The prior's JSON is not a prior this code can read."""

    hint = "regenerate it with bench/train_prior.py; models are never loaded from other formats"


@dataclass(frozen=True, slots=True)
class PriorScore:
    """What the prior makes of one paper: log-odds, probability, and each feature's and
    word's share of the log-odds (relative to an average paper of the training weeks)."""

    arxiv_id: str
    logit: float
    probability: float
    shares: tuple[float, ...]  # each feature's share, in FEATURES order
    values: tuple[float, ...]  # the features' values
    words: tuple[tuple[str, float], ...]  # each known word of the text and its share

    @property
    def parts(self) -> tuple[ScorePart, ...]:
        """The shares as score parts, largest first; the words as one part naming the three
        that weigh most."""
        parts = [
            ScorePart(name, round(share, 4), _detail(name, value))
            for name, share, value in zip(FEATURES, self.shares, self.values, strict=True)
            if share
        ]
        if self.words:
            total = sum(v for _, v in self.words)
            sign = 1.0 if total >= 0 else -1.0  # name the words that pulled the way the sum went
            top = sorted(self.words, key=lambda wv: (-sign * wv[1], wv[0]))[:3]
            detail = ", ".join(f"'{w}' {v:+.2f}" for w, v in top)
            parts.append(ScorePart("words", round(total, 4), detail))
        return tuple(sorted(parts, key=lambda p: (-abs(p.value), p.name)))

    @property
    def why(self) -> str:
        shown = [p for p in self.parts if abs(p.value) >= 0.05][:4]
        return ", ".join(f"{p.name} {p.value:+.2f} ({p.detail})" for p in shown) or "average"


class PriorTexts:
    """Reads papers' texts into `TextScore`s for one prior, reusing a build's analysis of
    them: what a build's worker processes call (picklable, like the readers it holds)."""

    __slots__ = ("prior", "reader")

    def __init__(self, prior: Prior, reader: PriorReader | None = None) -> None:
        self.prior = prior
        self.reader = reader if reader is not None else PriorReader()

    def __call__(self, title: Text, abstract: Text, analysis: Analysis | None = None) -> TextScore:
        reading = self.reader.read(title, abstract, analysis)
        words = self.prior.words_share(reading)
        return TextScore(tuple(reading.values[name] for name in TEXT_FEATURES), words)


@dataclass(frozen=True, slots=True)
class Prior:
    """The shipped model: a logistic regression over standardised features and words."""

    version: int
    text: str  # "none", "title" or "full": which words are read
    intercept: float
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    words: Mapping[str, tuple[float, float]]  # word -> (idf, coefficient)
    trained_on: Mapping[str, Any]  # what it learned from, for the record

    def score(
        self, papers: Sequence[Paper], readings: Sequence[Reading] | None = None
    ) -> list[PriorScore]:
        """Each of a week's papers scored, in the order given (their texts read now unless
        `readings` holds them)."""
        if readings is None:
            readings = PriorReader().read_all(papers)
        texts = [self.words_read(r) for r in readings]
        return self.score_read([p.arxiv_id for p in papers], features(papers, readings), texts)

    def logits(self, matrix: Any, words: Sequence[float]) -> Any:
        """The log-odds of papers whose `feature_matrix` and words' shares (`TextScore.words`)
        are known: the whole week at once, on arrays, without explaining any of them."""
        import numpy as np

        coef = np.asarray(self.coef) / np.asarray(self.scale)
        base = self.intercept - float(np.asarray(self.mean) @ coef)
        return base + np.asarray(matrix) @ coef + np.asarray(words, dtype=float)

    def words_share(self, reading: Reading) -> float:
        """The words' share of a paper's log-odds."""
        return sum(v for _, v in self._words(self.words_read(reading)))

    def words_read(self, reading: Reading) -> frozenset[str]:
        """The words of a reading that this prior weighs."""
        if self.text == "none":
            return frozenset()
        return reading.title_words if self.text == "title" else reading.words

    def score_read(
        self,
        ids: Sequence[str],
        rows: Sequence[Mapping[str, float]],
        texts: Sequence[frozenset[str]],
    ) -> list[PriorScore]:
        """Papers already read: their `features` rows and the words of their text."""
        columns = list(zip(self.features, self.mean, self.scale, self.coef, strict=True))
        found = []
        for arxiv_id, row, text in zip(ids, rows, texts, strict=True):
            values = tuple(row[name] for name in self.features)
            shares = tuple(c * (row[n] - mu) / sd for n, mu, sd, c in columns)
            words = self._words(text)
            logit = self.intercept + sum(shares) + sum(v for _, v in words)
            found.append(
                PriorScore(arxiv_id, round(logit, 4), _sigmoid(logit), shares, values, words)
            )
        return found

    def _words(self, text: frozenset[str]) -> tuple[tuple[str, float], ...]:
        """Each vocabulary word of the text with its share of the score (binary TF-IDF,
        L2-normalised over the words known: what the trainer fitted)."""
        known = self.words
        found = [w for w in text if w in known]
        norm = math.sqrt(sum(known[w][0] ** 2 for w in found))
        if not norm:
            return ()
        return tuple((w, known[w][1] * known[w][0] / norm) for w in found)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "text": self.text,
            "intercept": self.intercept,
            "features": [
                {"name": n, "mean": m, "scale": s, "coef": c}
                for n, m, s, c in zip(self.features, self.mean, self.scale, self.coef, strict=True)
            ],
            "words": {w: {"idf": i, "coef": c} for w, (i, c) in sorted(self.words.items())},
            "trained_on": dict(self.trained_on),
        }

    @classmethod
    def from_json(cls, data: Any) -> Prior:
        """The prior in `data` (parsed JSON); PriorFileError for anything else."""
        _expect(isinstance(data, dict), "not a JSON object")
        keys = {"format", "version", "text", "intercept", "features", "words", "trained_on"}
        _expect(set(data) == keys, f"expected exactly the keys {sorted(keys)}")
        _expect(data["format"] == FORMAT, f"format is {data['format']!r}, not {FORMAT!r}")
        _expect(
            data["version"] == VERSION, f"version {data['version']!r}, this code reads {VERSION}"
        )
        _expect(data["text"] in TEXTS, f"text must be one of {TEXTS}")
        feats = data["features"]
        _expect(isinstance(feats, list), "features must be a list")
        _expect(
            all(isinstance(f, dict) and set(f) == {"name", "mean", "scale", "coef"} for f in feats),
            "each feature needs exactly name, mean, scale and coef",
        )
        names = tuple(f["name"] for f in feats)
        _expect(names == FEATURES, f"features must be {list(FEATURES)}")
        _expect(all(_number(f["scale"]) and f["scale"] > 0 for f in feats), "scales must be > 0")
        words = data["words"]
        _expect(isinstance(words, dict), "words must be an object")
        _expect(
            all(
                isinstance(w, str) and WORD.fullmatch(w) and isinstance(v, dict)
                and set(v) == {"idf", "coef"} and _number(v["idf"]) and _number(v["coef"])
                for w, v in words.items()
            ),
            "each word needs a lowercase word key and exactly idf and coef numbers",
        )  # fmt: skip
        numbers = [data["intercept"], *(f[k] for f in feats for k in ("mean", "coef"))]
        _expect(all(_number(v) for v in numbers), "coefficients must be finite numbers")
        _expect(isinstance(data["trained_on"], dict), "trained_on must be an object")
        return cls(
            version=VERSION,
            text=data["text"],
            intercept=float(data["intercept"]),
            features=names,
            mean=tuple(float(f["mean"]) for f in feats),
            scale=tuple(float(f["scale"]) for f in feats),
            coef=tuple(float(f["coef"]) for f in feats),
            words={w: (float(v["idf"]), float(v["coef"])) for w, v in words.items()},
            trained_on=data["trained_on"],
        )


def load_prior(path: Path = PRIOR_FILE) -> Prior:
    """The prior stored at `path` (the shipped one by default), checked."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise PriorFileError(f"cannot read the prior {path}: {exc}") from exc
    try:
        return Prior.from_json(data)
    except PriorFileError as exc:
        raise PriorFileError(f"{path}: {exc}") from None


@cache
def shipped_prior() -> Prior:
    return load_prior()


def identity(prior: Prior) -> str:
    """A prior named by its content: the editor's correction, fitted against one prior's
    log-odds, is retrained when another is in use."""
    if prior is shipped_prior():
        return _shipped_identity()
    text = json.dumps(prior.to_json(), sort_keys=True).encode()
    return f"{FORMAT}/{prior.version} {hashlib.sha256(text).hexdigest()[:16]}"


@cache
def _shipped_identity() -> str:
    return identity(replace(shipped_prior()))  # a copy: not the cached one


def score(papers: Sequence[Paper], prior: Prior | None = None) -> list[PriorScore]:
    """The week's papers as the prior (the shipped one by default) scores them, in order."""
    return (prior or shipped_prior()).score(papers)


def features(
    papers: Sequence[Paper], readings: Sequence[Reading | TextScore] | None = None
) -> list[dict[str, float]]:
    """Each paper's feature values; upvotes and comments relative to these papers (a week's
    list) and to the paper's own day."""
    if readings is None:
        readings = PriorReader().read_all(papers)
    texts = [r.named if isinstance(r, TextScore) else r.values for r in readings]
    votes = [math.log1p(p.upvotes or 0) for p in papers]
    talk = [math.log1p(p.comments or 0) for p in papers]
    week_votes = sum(votes) / len(votes) if votes else 0.0
    week_talk = sum(talk) / len(talk) if talk else 0.0
    day_best: dict[object, float] = defaultdict(float)
    for paper, v in zip(papers, votes, strict=True):
        day_best[paper.listed_on] = max(day_best[paper.listed_on], v)
    rows = []
    for paper, text, v, t in zip(papers, texts, votes, talk, strict=True):
        best = day_best[paper.listed_on]
        rows.append(
            {
                "upvotes": v - week_votes,
                "upvotes today": v / best if best else 0.0,
                "comments": t - week_talk,
                **text,
                "authors": math.log1p(len(paper.authors)),
            }
        )
    return rows


def feature_matrix(papers: Sequence[Paper], texts: Sequence[TextScore]) -> Any:
    """`features` as an array, a row a paper and a column a feature (FEATURES order): what a
    build computes for thousands of candidates."""
    import numpy as np

    votes = np.log1p(np.asarray([p.upvotes or 0 for p in papers], dtype=float))
    talk = np.log1p(np.asarray([p.comments or 0 for p in papers], dtype=float))
    best: dict[object, float] = defaultdict(float)
    for paper, v in zip(papers, votes.tolist(), strict=True):
        best[paper.listed_on] = max(best[paper.listed_on], v)
    day_best = np.asarray([best[p.listed_on] for p in papers], dtype=float)
    today = np.divide(votes, day_best, out=np.zeros_like(votes), where=day_best > 0)
    text = np.asarray([t.values for t in texts], dtype=float).reshape(len(papers), -1)
    authors = np.log1p(np.asarray([len(p.authors) for p in papers], dtype=float))
    columns = [
        votes - (votes.mean() if len(votes) else 0.0),
        today,
        talk - (talk.mean() if len(talk) else 0.0),
        *text[:, :-1].T,
        authors,
        text[:, -1],
    ]
    return np.column_stack(columns) if len(papers) else np.zeros((0, len(FEATURES)))


def _detail(name: str, value: float) -> str:
    """What a feature's value means, for the why."""
    if name in ("upvotes", "comments"):
        return f"{value:+.2f} vs the week's mean, log"
    if name == "upvotes today":
        return f"{value:.2f} of the day's best, log"
    if name == "LLM relevance":
        return f"topic score {value * TOPIC_FULL:g}"
    if name.startswith("area "):
        return f"phrase score {value * AREA_FULL:g}"
    if name == "authors":
        return f"{round(math.expm1(value))} authors"
    return "yes" if value else "no"


def _expect(ok: object, problem: str) -> None:
    if not ok:
        raise PriorFileError(f"not a prior: {problem}")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
