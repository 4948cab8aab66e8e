"""The pick score of a week's candidates: the prior's log-odds plus the editor's correction.

Each candidate is placed in a section by the learned section classifier (the phrase tables
its prior), then scored: the prior's log-odds (`selection/prior.py`, relative to the week's
candidates) plus the editor's correction (`selection/learned.py`: words, the rule score's
signals, the placed section), through a sigmoid into the probability that the editor picks
it. Scoring thousands of candidates is numbers only; the "why" that names what each part
contributed is spelled out for the candidates someone will read (`explain`):

    prior +2.31 (area Transformers +1.64, upvotes +0.79, 'attention' +0.41)
    · editor +0.12 ('quantization' +0.08, upvotes +0.03) · section (Transformers: words …)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from newsletter.config.editor import WeightsConfig
from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.taxonomy import Section
from newsletter.selection.learned import FeatureRows, SelectionModel, document, sigmoid
from newsletter.selection.prior import FEATURES, Prior, PriorTexts, feature_matrix
from newsletter.selection.prior_text import PriorReader, TextScore
from newsletter.selection.score import ranking_key, rule_weights

EXPLAINED = 100  # the top of the ranking whose why is spelled out (with the issue's picks)
SHOWN = 3  # contributions named per part


@dataclass(frozen=True, slots=True)
class _Batch:
    """What scoring found about a batch of candidates, kept to explain them later."""

    rows: Any  # the prior's features, a row a candidate (FEATURES order)
    x: Any  # the TF-IDF rows
    signals: Sequence[Mapping[str, float]]
    sections: Sequence[str]  # where each was placed


@dataclass(frozen=True, slots=True)
class _Seen:
    """One candidate of a batch."""

    batch: _Batch
    index: int

    @property
    def row(self) -> Mapping[str, float]:
        return dict(zip(FEATURES, self.batch.rows[self.index].tolist(), strict=True))

    @property
    def x(self) -> Any:
        return self.batch.x

    @property
    def signals(self) -> Mapping[str, float]:
        return self.batch.signals[self.index]

    @property
    def section(self) -> str:
        return self.batch.sections[self.index]


class PickScorer:
    """Scores a week's candidates with the prior and the editor's model, and explains the
    ones that will be shown. One per build: it remembers what it scored."""

    def __init__(
        self,
        model: SelectionModel,
        prior: Prior,
        sections: Sequence[Section],
        weights: WeightsConfig,
        reader: PriorReader | None = None,
    ) -> None:
        self.model = model
        self.prior = prior
        self.sections = {s.name: s for s in sections}
        self.rules = rule_weights(weights)
        self.texts = PriorTexts(prior, reader)
        self._seen: dict[str, tuple[_Batch, int]] = {}

    def score(
        self,
        candidates: Sequence[Candidate],
        texts: Mapping[str, TextScore] | None = None,
        read: FeatureRows | None = None,
        week: Sequence[Candidate] = (),
    ) -> list[Candidate]:
        """The candidates placed and scored, best first. `texts` and `read`: what the
        workers read of them already (else read now); `week`: the week's other candidates,
        which the prior's upvotes and comments count relative to."""
        if not candidates:
            return []
        found = texts or {}
        ids = [c.paper.arxiv_id for c in candidates]
        mine = set(ids)
        every = [*candidates, *(c for c in week if c.paper.arxiv_id not in mine)]
        scores = [
            found.get(c.paper.arxiv_id) or self.texts(c.paper.title, c.paper.abstract)
            for c in every
        ]
        rows = feature_matrix([c.paper for c in every], scores)[: len(candidates)]
        logits = self.prior.logits(rows, [s.words for s in scores[: len(candidates)]]).tolist()
        x = read.rows(ids) if read is not None else None
        if x is None:
            x = self.model.features([document(c.paper.title, c.paper.abstract) for c in candidates])
        placed = self.model.placed(x, [c.section_scores for c in candidates])
        signals = [
            {**c.signals, "rules": round(sum(w * c.signals.get(n, 0.0) for n, w in self.rules), 4)}
            for c in candidates
        ]
        fix = self.model.corrected(x, signals, [p.section for p in placed])
        batch = _Batch(rows, x, signals, [p.section for p in placed])
        self._seen.update((arxiv_id, (batch, n)) for n, arxiv_id in enumerate(ids))
        base = self.prior.intercept
        scored = []
        for n, (c, p) in enumerate(zip(candidates, placed, strict=True)):
            parts = [ScorePart("prior", round(logits[n] - base, 4), "")]
            total = logits[n]
            if fix is not None:
                parts.append(ScorePart("editor", round(fix.values[n], 4), ""))
                total += fix.intercept + fix.values[n]
            parts.append(ScorePart("section", 0.0, p.section))
            scored.append(
                c.rescored(
                    round(sigmoid(total), 4),
                    tuple(parts),
                    self.sections[p.section],
                    p.probabilities,
                )
            )
        scored.sort(key=ranking_key)
        return scored

    def explain(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """The candidates with their why spelled out: the prior's, the editor's and the
        section's strongest contributions by name (candidates not scored here as given)."""
        return [self._explained(c) for c in candidates]

    def _explained(self, c: Candidate) -> Candidate:
        found = self._seen.get(c.paper.arxiv_id)
        if found is None:
            return c
        seen = _Seen(*found)
        parts = []
        for part in c.parts:
            if part.name == "prior":
                part = replace(part, detail=self._prior_detail(c, seen))
            elif part.name == "editor":
                named = self.model.correction_parts(seen.x, seen.index, seen.signals, seen.section)
                part = replace(part, detail=_named(named))
            elif part.name == "section" and part.detail == seen.section:
                words = self.model.section_words(seen.x, seen.index, seen.section)
                because = f"words {', '.join(words)}" if words else "the phrase tables"
                part = replace(part, detail=f"{seen.section}: {because}")
            parts.append(part)
        return replace(c, parts=tuple(parts))

    def _prior_detail(self, c: Candidate, seen: _Seen) -> str:
        reading = self.texts.reader.read(c.paper.title, c.paper.abstract)
        words = self.prior.words_read(reading)
        (scored,) = self.prior.score_read([c.paper.arxiv_id], [seen.row], [words])
        named = [(n, v) for n, v in zip(self.prior.features, scored.shares, strict=True)]
        named += [(f"'{w}'", v) for w, v in scored.words]
        return _named(sorted(named, key=lambda nv: (-abs(nv[1]), nv[0]))[:SHOWN])


def shown(ranked: Sequence[Candidate], picks: Sequence[Candidate]) -> set[str]:
    """The candidates someone will read the why of: the issue's and the top of the ranking."""
    return {c.paper.arxiv_id for c in [*picks, *ranked[:EXPLAINED]]}


def _named(parts: Sequence[tuple[str, float]]) -> str:
    return ", ".join(f"{name} {value:+.2f}" for name, value in parts if abs(value) >= 0.005)
