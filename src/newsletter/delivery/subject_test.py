"""Which subject line won a subject test, and how sure we are (docs/subject-tests.md).

The winner is the variant with the best rate on the metric: unique clickers (or unique human
openers) per message sent to its part of the sample. In order, the rules:

1. too few readers a subject (below `min_per_variant`): no test was run, the first subject;
2. no signal yet (no reader of the sample opened or clicked, as the metric counts): the first;
3. a tie for the best rate: the first listed of the tied subjects;
4. otherwise the best rate wins.

Whether the difference is significant: for two subjects a two-sided two-proportion z-test
(pooled), significant when p < 0.05; for three or four, each subject's Bayesian probability
to be best (a uniform Beta(1, 1) prior per rate, integrated exactly on a grid, no sampling),
significant when the winner's is at least 0.95. Either way the best rate wins: significance
says how far to trust it, it does not change the choice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from newsletter.domain.subject_test import (
    NO_SIGNAL,
    TIE,
    Decision,
    Metric,
    VariantCounts,
    label,
)

ALPHA = 0.05  # two subjects: significant when the z-test's p is below this
CONFIDENCE = 0.95  # three or four: significant when the winner's probability to be best is this
GRID = 4001  # points of the probability-to-be-best integral
Z_TEST = "two-proportion z-test"
BAYES = "probability to be best"


def decide(counts: Sequence[VariantCounts], metric: Metric) -> Decision:
    """The winner of a sample's numbers (one VariantCounts per subject, in order)."""
    hits = [c.hits(metric) for c in counts]
    sent = [c.sent for c in counts]
    kept = tuple(counts)
    if not any(hits):
        summary = f"no {metric.noun} in the sample yet: the first subject goes to the rest"
        return Decision(0, NO_SIGNAL, False, summary, counts=kept)
    best = max(range(len(counts)), key=lambda k: (_rate(hits[k], sent[k]), -k))
    tied = [k for k in range(len(counts)) if hits[k] * sent[best] == hits[best] * sent[k]]
    method, p_value, p_best, significant = _significance(hits, sent, best)
    if len(tied) > 1:
        names = ", ".join(label(k) for k in tied)
        summary = (
            f"{names} tie at {_rate(hits[best], sent[best]):.1%} {metric.noun}s: "
            f"{label(tied[0])}, listed first, goes to the rest"
        )
        return Decision(tied[0], TIE, False, summary, method, p_value, p_best, kept)
    rule = f"best {metric.noun} rate"
    summary = f"{label(best)} won on {metric.value}: " + _versus(hits, sent, best)
    summary += "; " + _sureness(method, p_value, p_best, best, significant)
    return Decision(best, rule, significant, summary, method, p_value, p_best, kept)


def two_proportion_p(hits: Sequence[int], sent: Sequence[int]) -> float:
    """Two-sided p-value of a pooled two-proportion z-test (1.0 when it cannot tell)."""
    (x1, x2), (n1, n2) = hits, sent
    if not n1 or not n2:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    spread = (pooled * (1 - pooled) * (1 / n1 + 1 / n2)) ** 0.5
    if spread == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / spread
    return float(2 * stats.norm.sf(abs(z)))


def probability_best(hits: Sequence[int], sent: Sequence[int]) -> tuple[float, ...]:
    """Each rate's posterior probability to be the highest, Beta(1 + hits, 1 + misses) each:
    P(k best) = ∫ pdf_k(p) · Π_{j≠k} cdf_j(p) dp, on a grid spanning every posterior."""
    a = np.array([1 + x for x in hits], dtype=float)
    b = np.array([1 + max(n - x, 0) for x, n in zip(hits, sent, strict=True)], dtype=float)
    lo = float(np.min(stats.beta.ppf(1e-9, a, b)))
    hi = float(np.max(stats.beta.isf(1e-9, a, b)))
    grid = np.linspace(lo, hi, GRID)
    pdf = stats.beta.pdf(grid[None, :], a[:, None], b[:, None])
    cdf = stats.beta.cdf(grid[None, :], a[:, None], b[:, None])
    found = []
    for k in range(len(hits)):
        others = np.prod(np.delete(cdf, k, axis=0), axis=0)
        found.append(float(np.trapezoid(pdf[k] * others, grid)))
    total = sum(found) or 1.0
    return tuple(round(p / total, 4) for p in found)


def _significance(
    hits: Sequence[int], sent: Sequence[int], best: int
) -> tuple[str, float | None, tuple[float, ...], bool]:
    if len(hits) == 2:
        p = two_proportion_p(hits, sent)
        return Z_TEST, round(p, 4), (), p < ALPHA
    chances = probability_best(hits, sent)
    return BAYES, None, chances, chances[best] >= CONFIDENCE


def _rate(hits: int, sent: int) -> float:
    return hits / sent if sent else 0.0


def _versus(hits: Sequence[int], sent: Sequence[int], best: int) -> str:
    order = [best, *(k for k in range(len(hits)) if k != best)]
    return " vs ".join(
        f"{label(k)} {_rate(hits[k], sent[k]):.1%} ({hits[k]} of {sent[k]})" for k in order
    )


def _sureness(
    method: str, p_value: float | None, p_best: tuple[float, ...], best: int, significant: bool
) -> str:
    if method == Z_TEST:
        verdict = "significant" if significant else "not significant"
        shown = "p < 0.001" if p_value is not None and p_value < 0.001 else f"p = {p_value:.3f}"
        return f"{method} {shown}, {verdict} at {ALPHA}"
    verdict = "significant" if significant else f"not significant (below {CONFIDENCE})"
    return f"{method} {p_best[best]:.2f}, {verdict}"
