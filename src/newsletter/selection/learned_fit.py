"""Training the learned models (`learned.py`) from examples: the vocabulary, the section
classifier, and the editor's correction to the prior.

The correction is a logistic regression whose log-odds are added to the prior's: it is
fitted with each example's prior log-odds as a fixed offset and an L2 penalty on its own
weights (its intercept is free), over the words, the rule score's signals and the section
the paper is placed in. Its penalty is `DEFAULT_C` until the decisions span `CHOOSE_FROM`
weeks with picks; from then it is chosen by leave-one-week-out (the picks of each week
left out in the top 12 and top 20 of its candidates, as the bench judges a ranking; then
the log loss), never on the test week, which no example ever comes from.

Every coefficient is rounded to `DIGITS` decimals as it is made, so a model just
trained and the same model read back from the store decide exactly alike. Fits run on one
BLAS thread: on vectors this small more threads only wait for each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from newsletter.domain.taxonomy import Section
from newsletter.selection import vectors
from newsletter.selection.learned import (
    SECTION_PRIOR,
    Correction,
    Example,
    SectionModel,
    SelectionModel,
    signal_rows,
)
from newsletter.selection.sections import SectionClassifier
from newsletter.selection.vectors import Vectoriser

DIGITS = 6  # decimals kept of each coefficient
# The correction's inverse penalty while there are too few weeks to choose it: the best of
# GRID with one week of decisions in bench/correction.py (the curator's weeks standing in
# for an editor, the prior trained on other weeks: 35 of 62 picks found vs 33-34 for 0.3 or
# 3 and 31 for the prior alone, top 12 + top 20).
DEFAULT_C = 1.0
SECTION_C = 10.0  # the section classifier's: its labels are few and clean
GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
CHOOSE_FROM = 3  # weeks with picks before the penalty is chosen by leaving weeks out
FOLDS = 8  # at most this many held-out groups of weeks: a year of issues trains in seconds


def train(
    examples: Sequence[Example],
    sections: Sequence[Section],
    *,
    prior: str = "",
    c: float | None = None,
    vectoriser: Vectoriser | None = None,
) -> SelectionModel:
    """Both models from the examples; a section's description and key phrases are one
    example of it each, so a section just added to newsletter.toml is learned at once.
    `prior` names the prior the examples' offsets came from; `c` sets the correction's
    penalty (a bench's experiment) instead of choosing it; `vectoriser`: the examples'
    `vocabulary`, when it was made already."""
    from threadpoolctl import threadpool_limits

    names = [s.name for s in sections]
    placed, judged = _placed(examples, sections), _judged(examples)
    counts = {
        "section labels": len(placed),
        "picks": sum(1 for e in judged if e.picked),
        "left out": sum(1 for e in judged if not e.picked),
    }
    vectoriser = vectoriser or vocabulary(examples, sections)
    if not vectoriser.vocabulary:  # no word left after the stop words: nothing to learn from
        return SelectionModel(names, counts, prior=prior)
    with threadpool_limits(limits=1, user_api="blas"):
        model = SelectionModel(
            names,
            counts,
            vectoriser=vectoriser,
            section_model=_sections(vectoriser, placed, sections),
            prior=prior,
        )
        model.correction = _correction(model, judged, sections, c)
    return model


def vocabulary(examples: Sequence[Example], sections: Sequence[Section]) -> Vectoriser:
    """The words and word pairs the models will weigh, with their idf: every term of the
    examples' texts and of the sections' descriptions. Quick to make, so a build's workers
    can read texts with it while the models are fitted."""
    placed, judged = _placed(examples, sections), _judged(examples)
    return vectors.fit(
        [e.text for e in placed] + [describe(s) for s in sections] + [e.text for e in judged]
    )


def _placed(examples: Sequence[Example], sections: Sequence[Section]) -> list[Example]:
    names = {s.name for s in sections}
    return [e for e in examples if e.section in names]


def _judged(examples: Sequence[Example]) -> list[Example]:
    return [e for e in examples if e.picked is not None and e.prior is not None]


def describe(section: Section) -> str:
    """A section as one example of itself: its name, description and key phrases."""
    phrases = " ".join(k.split("^")[0] for k in section.keywords)
    return f"{section.name}. {section.description} {phrases}"


def _sections(
    vectoriser: Vectoriser, placed: Sequence[Example], sections: Sequence[Section]
) -> SectionModel | None:
    """Multinomial logistic regression, classes weighed alike (each class's examples
    count inversely to how many it has), L2 penalty 1 / SECTION_C."""
    import numpy as np

    docs = [e.text for e in placed] + [describe(s) for s in sections]
    labels = [e.section for e in placed] + [s.name for s in sections]
    classes = sorted({str(label) for label in labels})
    if len(classes) < 2:
        return None
    y = np.asarray([classes.index(str(label)) for label in labels])
    per_class = np.bincount(y, minlength=len(classes))
    balanced = len(y) / (len(classes) * per_class[y])
    w = np.asarray([e.weight for e in placed] + [1.0] * len(sections)) * balanced
    intercept, coef = fit_softmax(vectoriser(docs), y, w, len(classes), SECTION_C)
    return SectionModel(
        classes=tuple(classes),
        coef=tuple(_rounded(row) for row in coef),
        intercept=_rounded(intercept),
        prior_share=round(SECTION_PRIOR / (SECTION_PRIOR + len(placed)), DIGITS),
    )


def fit_softmax(x: Any, y: Any, w: Any, k: int, c: float) -> tuple[Any, Any]:
    """Weighted multinomial logistic regression: minimises sum w (logsumexp(z) - z_y) +
    |W|^2 / 2c, z = x W' + b (the intercepts b are not penalised).

    Solved in the span of the examples (W = a' x, the representer theorem: with an L2
    penalty the optimum lies there), so the optimiser moves n x k numbers instead of d x k:
    a few hundred labels against ten thousand words, a tenth of the time."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    n = x.shape[0]
    gram = np.asarray((x @ x.T).todense())
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0

    def loss(theta: Any) -> tuple[float, Any]:
        a, b = theta[: n * k].reshape(n, k), theta[n * k :]
        ka = gram @ a
        z = ka + b
        value = np.sum(w * (logsumexp(z, axis=1) - z[np.arange(n), y]))
        value += np.sum(a * ka) / (2 * c)
        g = w[:, None] * (softmax(z, axis=1) - onehot)
        return float(value), np.concatenate([(gram @ (g + a / c)).ravel(), g.sum(axis=0)])

    start = np.zeros(n * k + k)
    options = {"maxiter": 3000, "ftol": 1e-12, "gtol": 1e-8}
    found = minimize(loss, start, jac=True, method="L-BFGS-B", options=options)
    a = found.x[: n * k].reshape(n, k)
    return found.x[n * k :], np.asarray(x.T @ a).T


def _correction(
    model: SelectionModel, judged: Sequence[Example], sections: Sequence[Section], c: float | None
) -> Correction | None:
    import numpy as np

    picks = sum(1 for e in judged if e.picked)
    if picks == 0 or picks == len(judged):
        return None  # nothing to tell picks from the rest: the prior decides
    classifier = SectionClassifier(sections)
    x = model.features([e.text for e in judged])
    placed = model.placed(x, [classifier.classify(e.title, e.abstract).scores for e in judged])
    design = _design(model, x, [e.signals for e in judged], [p.section for p in placed])
    y = np.asarray([1.0 if e.picked else 0.0 for e in judged])
    w = np.asarray([e.weight for e in judged])
    offset = np.asarray([e.prior for e in judged], dtype=float)
    if c is None:
        c, chosen_by = _choose_c(design, y, w, offset, [e.week for e in judged])
    else:
        chosen_by = "given"
    intercept, coef = fit_offset(design, y, w, offset, c)
    words = len(model.words)
    signals = len(coef) - words - len(model.sections)
    return Correction(
        intercept=intercept,
        words=tuple(coef[:words]),
        signals=tuple(coef[words : words + signals]),
        sections=tuple(coef[words + signals :]),
        c=c,
        chosen_by=chosen_by,
    )


def _design(model: SelectionModel, x: Any, signals: Any, placed: Sequence[str]) -> Any:
    """The correction's inputs: word rows, signals, and the placed section as one-hot."""
    from scipy.sparse import csr_matrix, hstack

    where = {s: n for n, s in enumerate(model.sections)}
    sections = [[1.0 if where.get(p) == n else 0.0 for n in range(len(where))] for p in placed]
    return hstack([x, csr_matrix(signal_rows(signals)), csr_matrix(sections)]).tocsr()


def _choose_c(
    design: Any, y: Any, w: Any, offset: Any, weeks: Sequence[object]
) -> tuple[float, str]:
    """The penalty under which models trained without a week rank that week's picks
    highest (picks in its top 12 and top 20; then the smaller log loss), over the weeks left
    out one at a time (or in `FOLDS` groups), once there are enough weeks with picks; else
    the default."""
    import numpy as np

    picked_weeks = sorted({str(wk) for wk, label in zip(weeks, y, strict=True) if label})
    if len(picked_weeks) < CHOOSE_FROM:
        return DEFAULT_C, "default"
    fold_of = {wk: n % FOLDS for n, wk in enumerate(picked_weeks)}
    groups: dict[int, list[int]] = defaultdict(list)
    for row, wk in enumerate(weeks):
        if str(wk) in fold_of:
            groups[fold_of[str(wk)]].append(row)
    week_of = np.asarray([str(wk) for wk in weeks])
    found: dict[float, tuple[int, float]] = {}
    for c in GRID:
        hits, loss = 0, 0.0
        for held in groups.values():
            keep = np.ones(len(y), dtype=bool)
            keep[held] = False
            b, coef = fit_offset(design[keep], y[keep], w[keep], offset[keep], c)
            z = offset[held] + design[held] @ np.asarray(coef) + b
            loss += float(np.sum(w[held] * (np.logaddexp(0, z) - y[held] * z)))
            for wk in set(week_of[held]):
                mine = week_of[held] == wk
                picked = y[held][mine][np.argsort(-z[mine], kind="stable")] > 0
                hits += int(picked[:12].sum() + picked[:20].sum())
        found[c] = (hits, -loss)
    best = max(GRID, key=found.__getitem__)
    return best, f"leave-one-week-out over {len(picked_weeks)} weeks with picks"


def fit_offset(design: Any, y: Any, w: Any, offset: Any, c: float) -> tuple[float, list[float]]:
    """Weighted logistic regression with a fixed offset: minimises
    sum w (log(1 + e^z) - y z) + |beta|^2 / 2c, z = offset + design beta + intercept."""
    import numpy as np
    from scipy.optimize import minimize
    from scipy.special import expit

    def loss(theta: Any) -> tuple[float, Any]:
        b, beta = theta[0], theta[1:]
        z = offset + design @ beta + b
        value = np.sum(w * (np.logaddexp(0, z) - y * z)) + beta @ beta / (2 * c)
        g = w * (expit(z) - y)
        return float(value), np.concatenate([[g.sum()], design.T @ g + beta / c])

    start = np.zeros(design.shape[1] + 1)
    found = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    theta = found.x
    return _round(float(theta[0])), list(_rounded(theta[1:]))


def _round(value: float) -> float:
    return round(value, DIGITS) + 0.0  # + 0.0: no "-0.0"


def _rounded(values: Any) -> tuple[float, ...]:
    import numpy as np

    return tuple((np.round(np.asarray(values, dtype=float), DIGITS) + 0.0).tolist())
