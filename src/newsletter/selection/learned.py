"""The editor's judgement, learned: a section classifier and the editor's correction to the
prior, both linear, both stored as plain numbers (`model_file.py`), never as code.

As arxiv-sanity-lite does it, TF-IDF over title and abstract feeds logistic regressions, so
every decision names the words and signals behind it:

- the section classifier places a paper among the configured sections; the phrase tables
  are its prior, blended in with the weight of `SECTION_PRIOR` labels against the number
  learned from;
- the editor's correction says how the editor's picks differ from the prior's
  (`selection/prior.py`): its log-odds are added to the prior's, fitted with the prior as a
  fixed offset and an L2 penalty, over words, the rule score's signals, the section and its
  own intercept. With few decisions the penalty keeps it near zero and the prior decides;
  as decisions accumulate they outweigh it. No mixing weight is set by hand.

Texts become TF-IDF rows (`vectors.py`); training is `learned_fit.py`. Neither needs
scikit-learn.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsletter.domain.taxonomy import PaperKind
from newsletter.selection.topics import Text
from newsletter.selection.vectors import Vectoriser

# How many section labels the phrase tables are worth; fitted by leave-one-week-out on the
# hand-labelled weeks 2024-11-25 and 2024-12-09 only (never the test week 2024-12-02).
SECTION_PRIOR = 84.0
PRIOR_SHARPNESS = 0.2  # phrase scores → probabilities: softmax(0.2 × score)
KINDS = tuple(k.value for k in PaperKind)
# The rule score's inputs, on [0, 1] (score.signal_values), and the rule score itself.
SIGNALS = ("upvotes", "comments", "feeds", "topic", *(f"kind {k}" for k in KINDS), "rules")


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
    prior: float | None = None  # the prior's log-odds for it, in its week (pick examples)

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


@dataclass(frozen=True, slots=True)
class SectionModel:
    """A multinomial logistic regression over TF-IDF rows: one row of weights, and an
    intercept, for each section it learned."""

    classes: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per class, over the vocabulary
    intercept: tuple[float, ...]
    prior_share: float  # the phrase tables' share of the blend


@dataclass(frozen=True, slots=True)
class Correction:
    """The editor's correction to the prior's log-odds, and how it was regularised."""

    intercept: float
    words: tuple[float, ...]  # over the vocabulary
    signals: tuple[float, ...]  # over SIGNALS
    sections: tuple[float, ...]  # over the model's sections: the paper's placed section
    c: float  # inverse L2 strength
    chosen_by: str  # "default" or how it was chosen (leave-one-week-out over N weeks)


@dataclass(frozen=True, slots=True)
class Corrected:
    """The correction's log-odds for each paper (its intercept apart)."""

    intercept: float
    values: tuple[float, ...]


class SelectionModel:
    """The section classifier and the editor's correction, over one vocabulary, so a build
    reads each paper's text once. Plain numbers: stored as JSON (`model_file.py`)."""

    def __init__(
        self,
        sections: Sequence[str],
        counts: Mapping[str, int],
        *,
        vectoriser: Vectoriser | None = None,
        section_model: SectionModel | None = None,
        correction: Correction | None = None,
        prior: str = "",
    ) -> None:
        self.sections = tuple(sections)
        self.counts = dict(counts)  # what it learned from, by kind of example
        self.vectoriser = vectoriser
        self.section_model = section_model
        self.correction = correction
        self.prior = prior  # which prior the correction was fitted against
        self.version: int | None = None  # the store's number, once saved
        self._arrays: dict[str, Any] = {}

    @property
    def label(self) -> str:
        learned = ", ".join(f"{n} {kind}" for kind, n in sorted(self.counts.items()) if n)
        return f"v{self.version or 0} ({learned or 'rules only'})"

    @property
    def words(self) -> tuple[str, ...]:
        return self.vectoriser.vocabulary if self.vectoriser is not None else ()

    def features(self, docs: Sequence[str]) -> Any:
        """The documents' TF-IDF rows (None when nothing was learned): the costly step."""
        if self.vectoriser is None or not docs:
            return None
        return self.vectoriser(docs)

    def reader(self) -> TextReader | None:
        """What reads (title, abstract) pairs into features, to hand to worker processes."""
        return None if self.vectoriser is None else TextReader(self.vectoriser)

    # --- sections -------------------------------------------------------------------

    def place(
        self, docs: Sequence[str], phrase_scores: Sequence[Mapping[str, float]]
    ) -> list[Placement]:
        """Each paper's section: the learned classifier blended with the phrase tables."""
        return self.placed(self.features(docs), phrase_scores)

    def placed(self, x: Any, phrase_scores: Sequence[Mapping[str, float]]) -> list[Placement]:
        """`place` for rows already read (all rows at once, on arrays)."""
        import numpy as np

        scores = np.asarray(
            [[row.get(s, 0.0) for s in self.sections] for row in phrase_scores], dtype=float
        ).reshape(len(phrase_scores), len(self.sections))
        z = PRIOR_SHARPNESS * scores
        z -= z.max(axis=1, keepdims=True, initial=0.0) if z.size else 0.0
        found = np.exp(z)
        found /= found.sum(axis=1, keepdims=True)
        learned = self._section_probabilities(x)
        if learned is not None:
            share = self.section_model.prior_share  # type: ignore[union-attr]
            found = share * found + (1 - share) * learned
        rounded = np.round(found, 4)
        best = rounded.argmax(axis=1) if rounded.size else []
        return [
            Placement(self.sections[b], dict(zip(self.sections, row, strict=True)))
            for b, row in zip(best, rounded.tolist(), strict=True)
        ]

    def section_words(self, x: Any, row: int, section: str, n: int = 3) -> list[str]:
        """The words of this paper that pushed it most towards `section`."""
        model = self.section_model
        if model is None or x is None or section not in model.classes:
            return []
        coef = self._array("section coef")[model.classes.index(section)]
        cols, values = _row(x, row)
        gains = coef[cols] * values
        order = gains.argsort()[::-1][:n]
        return [f"'{self.words[cols[k]]}'" for k in order if gains[k] > 0]

    def _section_probabilities(self, x: Any) -> Any:
        import numpy as np

        model = self.section_model
        if model is None or x is None:
            return None
        z = np.asarray(x @ self._array("section coef").T) + self._array("section intercept")
        z -= z.max(axis=1, keepdims=True)
        probabilities = np.exp(z)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        columns = [model.classes.index(s) if s in model.classes else -1 for s in self.sections]
        padded = np.hstack([probabilities, np.zeros((probabilities.shape[0], 1))])
        return padded[:, columns]

    # --- the editor's correction ------------------------------------------------------

    def corrected(
        self, x: Any, signals: Sequence[Mapping[str, float]], sections: Sequence[str]
    ) -> Corrected | None:
        """The correction's log-odds for each paper (in `sections`, as placed); None when
        there is no correction yet (no picks learned from): the prior decides alone."""
        import numpy as np

        fix = self.correction
        if fix is None:
            return None
        if not sections:
            return Corrected(fix.intercept, ())
        found = np.asarray(signal_rows(signals)) @ self._array("signal coef")
        where = {s: n for n, s in enumerate(self.sections)}
        found += np.asarray([fix.sections[where[s]] if s in where else 0.0 for s in sections])
        if x is not None:
            found += x @ self._array("word coef")
        return Corrected(fix.intercept, tuple(float(v) for v in found))

    def correction_parts(
        self, x: Any, row: int, signals: Mapping[str, float], section: str, n: int = 3
    ) -> list[tuple[str, float]]:
        """The words, signals and section that moved this paper's correction most."""
        fix = self.correction
        if fix is None:
            return []
        gains = [
            (name, c * float(signals.get(name, 0.0)))
            for name, c in zip(SIGNALS, fix.signals, strict=True)
        ]
        if section in self.sections:
            gains.append((f"section {section}", fix.sections[self.sections.index(section)]))
        if x is not None:
            cols, values = _row(x, row)
            coef = self._array("word coef")
            gains += [
                (f"'{self.words[c]}'", float(coef[c] * v))
                for c, v in zip(cols, values, strict=True)
            ]
        gains = [(name, g) for name, g in gains if abs(g) >= 0.005]
        return sorted(gains, key=lambda ng: (-abs(ng[1]), ng[0]))[:n]

    def _array(self, name: str) -> Any:
        """The coefficients as numpy arrays, made once."""
        import numpy as np

        if name not in self._arrays:
            if name.startswith("section"):
                model = self.section_model
                assert model is not None
                value = model.coef if name == "section coef" else model.intercept
            else:
                fix = self.correction
                assert fix is not None
                value = fix.words if name == "word coef" else fix.signals
            self._arrays[name] = np.asarray(value, dtype=float)
        return self._arrays[name]


@dataclass(frozen=True, slots=True)
class TextReader:
    """(title, abstract) pairs → TF-IDF rows; small to hand to worker processes."""

    vectoriser: Vectoriser

    def __call__(self, texts: Sequence[tuple[Text, Text]]) -> Any:
        return self.vectoriser.read(texts)


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


def signal_rows(signals: Sequence[Mapping[str, float]]) -> list[list[float]]:
    return [[float(s.get(name, 0.0)) for name in SIGNALS] for s in signals]


def _row(x: Any, row: int) -> tuple[Any, Any]:
    """A CSR matrix row's columns and values, without building a row matrix."""
    start, end = x.indptr[row], x.indptr[row + 1]
    return x.indices[start:end], x.data[start:end]


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
