"""The editor's judgement, learned: a section classifier and a pick model, both linear.

As arxiv-sanity-lite does it: TF-IDF over title and abstract, plus, for picks, the signals
the rule score uses (upvotes relative to the day, comments, feeds, kind, topic strength),
into logistic regressions, so every decision names the words and signals behind it.

The phrase tables and the rule score are the prior. A learned model starts from them and
leans on what it has learned as its evidence grows: the blend gives the prior the weight
of `SECTION_PRIOR` (or `PICK_PRIOR`) examples against the number actually learned from.
With no history the prior decides alone; with a year of the editor's issues it is a nudge.

scikit-learn is imported here only, and only when a model is trained or used.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsletter.domain.issue import ScorePart
from newsletter.domain.taxonomy import PaperKind, Section

# How many examples the prior is worth. SECTION_PRIOR was fitted by leave-one-week-out on
# the hand-labelled weeks 2024-11-25 and 2024-12-09 only (never the test week 2024-12-02);
# PICK_PRIOR could not be fitted (one week of picks) and is the editor's six picks of a week.
SECTION_PRIOR = 84.0
PICK_PRIOR = 6.0
PRIOR_SHARPNESS = 0.2  # phrase scores → probabilities: softmax(0.2 × score)
KINDS = tuple(k.value for k in PaperKind)  # the pick model's kind signals, in this order
SIGNALS = ("upvotes", "comments", "feeds", "topic", *(f"kind {k}" for k in KINDS))


@dataclass(frozen=True, slots=True)
class Example:
    """One decision of the editor (or a hand label) about a paper, to learn from."""

    arxiv_id: str
    title: str
    abstract: str
    week: dt.date | None = None
    section: str | None = None  # the section the editor put it in
    picked: bool | None = None  # True: in the issue; False: seen and left out; None: unknown
    weight: float = 1.0  # approval edits say more than a quiet acceptance
    signals: Mapping[str, float] = field(default_factory=dict)  # for pick examples
    source: str = ""

    @property
    def text(self) -> str:
        return document(self.title, self.abstract)


def document(title: str, abstract: str | None) -> str:
    """What the vectoriser reads: the title counts twice, as it says more than any sentence."""
    return f"{title}. {title}. {abstract or ''}"


@dataclass(frozen=True, slots=True)
class Placement:
    section: str
    probabilities: dict[str, float]
    why: str  # the words that placed it


@dataclass(frozen=True, slots=True)
class PickScore:
    probability: float
    parts: tuple[ScorePart, ...]  # the prior's share and the learned share, each explained


FORMAT = 2  # bump when the pickled shape changes: an older stored model is retrained


class SelectionModel:
    """Both models, trained together over one vocabulary, so a build reads each paper's
    text once; pickled into the store with a version number."""

    def __init__(self, sections: Sequence[str], counts: Mapping[str, int]) -> None:
        self.format = FORMAT
        self.sections = tuple(sections)
        self.counts = dict(counts)  # what it learned from, by kind of example
        self.version: int | None = None  # the store's number, once saved
        self.vectoriser: Any = None
        self.words: list[str] = []  # the vectoriser's vocabulary, for the whys
        self.section_classifier: Any = None
        self.pick_classifier: Any = None
        self.section_prior_share = 1.0
        self.pick_prior_share = 1.0

    @property
    def label(self) -> str:
        learned = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()) if n)
        return f"v{self.version or 0} ({learned or 'rules only'})"

    def features(self, docs: Sequence[str]) -> Any:
        """The documents' TF-IDF rows (None when nothing was learned): the costly step."""
        if self.vectoriser is None or not docs:
            return None
        return self.vectoriser.transform(docs).tocsr()

    def reader(self) -> TextReader | None:
        """What reads (title, abstract) pairs into features, to hand to worker processes."""
        return None if self.vectoriser is None else TextReader(self.vectoriser)

    def judge(
        self,
        docs: Sequence[str],
        phrase_scores: Sequence[Mapping[str, float]],
        signals: Sequence[Mapping[str, float]],
        rules: Sequence[tuple[float, str]],
        x: Any = None,
    ) -> tuple[list[Placement], list[PickScore]]:
        """Section and pick score of each paper, reading the texts once (not at all when
        their rows `x` were read already)."""
        if x is None:
            x = self.features(docs)
        return self._place(x, phrase_scores), self._pick(x, signals, rules)

    def place(
        self, docs: Sequence[str], phrase_scores: Sequence[Mapping[str, float]]
    ) -> list[Placement]:
        """Each paper's section: the learned classifier blended with the phrase tables' scores."""
        return self._place(self.features(docs), phrase_scores)

    def pick(
        self,
        docs: Sequence[str],
        signals: Sequence[Mapping[str, float]],
        rules: Sequence[tuple[float, str]],
    ) -> list[PickScore]:
        """How likely the editor is to pick each paper: the rule score's prior (with its why)
        blended with the learned pick model."""
        return self._pick(self.features(docs), signals, rules)

    def _place(self, x: Any, phrase_scores: Sequence[Mapping[str, float]]) -> list[Placement]:
        priors = [
            _softmax([PRIOR_SHARPNESS * scores.get(s, 0.0) for s in self.sections])
            for scores in phrase_scores
        ]
        if self.section_classifier is None or x is None:
            return [self._placement(prior, "the phrase tables") for prior in priors]
        import numpy as np

        classes = list(self.section_classifier.classes_)
        columns = [classes.index(s) if s in classes else -1 for s in self.sections]
        rows = x.shape[0]
        learned = np.hstack([self.section_classifier.predict_proba(x), np.zeros((rows, 1))])[
            :, columns
        ]
        share = self.section_prior_share
        blended = share * np.asarray(priors) + (1 - share) * learned
        found = []
        for row in range(rows):
            best = int(blended[row].argmax())
            words = _top_words(self.words, self.section_classifier.coef_, x, row, columns[best])
            why = f"words {', '.join(words)}" if words else "the phrase tables"
            found.append(self._placement(blended[row].tolist(), why))
        return found

    def _placement(self, probabilities: Sequence[float], why: str) -> Placement:
        named = {s: round(p, 4) for s, p in zip(self.sections, probabilities, strict=True)}
        return Placement(max(named, key=named.__getitem__), named, why)

    def _pick(
        self, x: Any, signals: Sequence[Mapping[str, float]], rules: Sequence[tuple[float, str]]
    ) -> list[PickScore]:
        share = self.pick_prior_share
        priors = [
            ScorePart("rules", round(share * _sigmoid(6.0 * (score - 0.8)), 4), why)
            for score, why in rules
        ]
        if self.pick_classifier is None or share >= 1.0 or x is None:
            return [PickScore(p.value, (p,)) for p in priors]
        both = _with_signals(x, signals)
        learned = self.pick_classifier.predict_proba(both)[:, 1]
        coef = self.pick_classifier.coef_[0]
        names = [*(f"'{w}'" for w in self.words), *SIGNALS]
        found = []
        for row, prior in enumerate(priors):
            why = _strongest(names, coef, both, row)
            part = ScorePart("learned", round((1 - share) * float(learned[row]), 4), why)
            found.append(PickScore(round(prior.value + part.value, 4), (prior, part)))
        return found


@dataclass(frozen=True, slots=True)
class TextReader:
    """(title, abstract) pairs → TF-IDF rows; small to pickle (the vocabulary, no classifier)."""

    vectoriser: Any

    def __call__(self, texts: Sequence[tuple[str, str]]) -> Any:
        return self.vectoriser.transform([document(t, a) for t, a in texts]).tocsr()


class FeatureRows:
    """Rows read ahead (by the Analyser's workers), found again by arXiv id."""

    def __init__(self, ids: Sequence[str], matrices: Sequence[Any]) -> None:
        from scipy.sparse import vstack

        self.index = {arxiv_id: n for n, arxiv_id in enumerate(ids)}
        self.matrix = vstack(matrices).tocsr() if matrices else None

    def rows(self, ids: Sequence[str]) -> Any:
        """The rows of these papers, or None if any was not read ahead."""
        if self.matrix is None or not ids or any(i not in self.index for i in ids):
            return None
        return self.matrix[[self.index[i] for i in ids]]


def train(examples: Sequence[Example], sections: Sequence[Section]) -> SelectionModel:
    """Both models from the examples; a section's description and key phrases are one
    example of it each, so a section just added to newsletter.toml is learned at once."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    names = [s.name for s in sections]
    placed = [e for e in examples if e.section in names]
    judged = [e for e in examples if e.picked is not None]
    counts = {
        "section labels": len(placed),
        "picks": sum(1 for e in judged if e.picked),
        "left out": sum(1 for e in judged if not e.picked),
    }
    model = SelectionModel(names, counts)
    corpus = [e.text for e in placed] + [_describe(s) for s in sections] + [e.text for e in judged]
    vectoriser = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    try:
        vectoriser.fit(corpus)
    except ValueError:  # no word left after the stop words: nothing to learn from
        return model
    model.vectoriser, model.words = vectoriser, list(vectoriser.get_feature_names_out())
    _train_sections(model, placed, sections)
    _train_picks(model, judged)
    return model


def _train_sections(
    model: SelectionModel, placed: Sequence[Example], sections: Sequence[Section]
) -> None:
    from sklearn.linear_model import LogisticRegression

    docs = [e.text for e in placed] + [_describe(s) for s in sections]
    labels = [e.section for e in placed] + [s.name for s in sections]
    weights = [e.weight for e in placed] + [1.0] * len(sections)
    if len(set(labels)) < 2:
        return
    model.section_classifier = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")
    model.section_classifier.fit(model.features(docs), labels, sample_weight=weights)
    model.section_prior_share = SECTION_PRIOR / (SECTION_PRIOR + len(placed))


def _train_picks(model: SelectionModel, judged: Sequence[Example]) -> None:
    from sklearn.linear_model import LogisticRegression

    positives = sum(1 for e in judged if e.picked)
    if positives == 0 or positives == len(judged):
        return  # nothing to tell picks from the rest: the prior decides
    x = _with_signals(model.features([e.text for e in judged]), [e.signals for e in judged])
    model.pick_classifier = LogisticRegression(C=1.0, max_iter=3000)
    model.pick_classifier.fit(
        x, [bool(e.picked) for e in judged], sample_weight=[e.weight for e in judged]
    )
    model.pick_prior_share = PICK_PRIOR / (PICK_PRIOR + sum(e.weight for e in judged if e.picked))


def _with_signals(x: Any, signals: Sequence[Mapping[str, float]]) -> Any:
    from scipy.sparse import csr_matrix, hstack

    rows = [[float(s.get(name, 0.0)) for name in SIGNALS] for s in signals]
    return hstack([x, csr_matrix(rows)]).tocsr()


def _describe(section: Section) -> str:
    phrases = " ".join(k.split("^")[0] for k in section.keywords)
    return f"{section.name}. {section.description} {phrases}"


def _row(x: Any, row: int) -> tuple[Any, Any]:
    """A CSR matrix row's columns and values, without building a row matrix."""
    start, end = x.indptr[row], x.indptr[row + 1]
    return x.indices[start:end], x.data[start:end]


def _top_words(
    words: Sequence[str], coef: Any, x: Any, row: int, section: int, n: int = 3
) -> list[str]:
    """The words of this paper that pushed it most towards the section (class `section`)."""
    if section < 0:
        return []
    cols, values = _row(x, row)
    gains = (coef[section] if len(coef) > 1 else coef[0])[cols] * values
    order = gains.argsort()[::-1][:n]
    return [f"'{words[cols[k]]}'" for k in order if gains[k] > 0]


def _strongest(names: Sequence[str], coef: Any, x: Any, row: int, n: int = 3) -> str:
    """The strongest words and signals for (and against) this paper, as the model weighs them."""
    cols, values = _row(x, row)
    gains = coef[cols] * values
    order = abs(gains).argsort()[::-1][:n]
    return ", ".join(f"{names[cols[k]]} {gains[k]:+.2f}" for k in order) or "no feature"


def _softmax(values: Sequence[float]) -> list[float]:
    top = max(values, default=0.0)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps) or 1.0
    return [e / total for e in exps]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
