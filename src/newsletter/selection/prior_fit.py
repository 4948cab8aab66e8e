"""Training the prior (selection/prior.py) on curator weeks, and choosing how by
leave-weeks-out cross-validation.

A week is its list of papers and the ones the curator picked from it. Features and words
are read once per week (`Week.of`); `fit` trains a logistic regression on some weeks,
`choose` picks the settings (which words, how much regularisation) that recall most
picks on weeks left out, and `ranked` orders a week's papers by a prior. Deterministic:
the same weeks give the same JSON, to the last digit.

scikit-learn is imported only when a prior is trained.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from newsletter.domain.papers import Paper
from newsletter.selection.prior import FEATURES, VERSION, Prior, PriorScore, features
from newsletter.selection.prior_text import WORD, PriorReader

MIN_DF = 2  # a word must be in two papers of the training weeks to be learned
WORD_SCALE = 2.0  # the words' block weighs twice a standardised feature
DIGITS = 6  # what the JSON keeps of each number
TOL = 1e-6  # the solver's stopping tolerance: far below what the JSON keeps


@dataclass(frozen=True, slots=True)
class Settings:
    text: str = "full"  # "none", "title" or "full"
    c: float = 1.0  # inverse regularisation strength

    @property
    def label(self) -> str:
        return f"words {self.text}, C {self.c:g}"


GRID = tuple(Settings(text, c) for text in ("none", "title", "full") for c in (0.1, 0.3, 1.0, 3.0))
FOLDS = 5


@dataclass(frozen=True, slots=True)
class Week:
    """One week's list, read for training: features, words and the curator's picks."""

    start: str
    papers: tuple[Paper, ...]
    picks: frozenset[str]  # the picks that are in the list
    rows: tuple[tuple[float, ...], ...]
    title_words: tuple[frozenset[str], ...]
    full_words: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, start: str, papers: Sequence[Paper], picks: set[str] | frozenset[str]) -> Week:
        readings = PriorReader().read_all(papers)
        rows = features(papers, readings)
        return cls(
            start,
            tuple(papers),
            frozenset(picks) & {p.arxiv_id for p in papers},
            tuple(tuple(row[f] for f in FEATURES) for row in rows),
            tuple(_learnable(r.title_words) for r in readings),
            tuple(_learnable(r.words) for r in readings),
        )

    def words(self, text: str) -> tuple[frozenset[str], ...]:
        return self.title_words if text == "title" else self.full_words

    def labels(self) -> list[bool]:
        return [p.arxiv_id in self.picks for p in self.papers]


def _learnable(words: frozenset[str]) -> frozenset[str]:
    """The words a prior may learn (lowercase ASCII, starting with a letter): a scorer looks
    any other word up in its vocabulary in vain, so leaving them out changes no score."""
    return frozenset(w for w in words if WORD.fullmatch(w))


def fit(weeks: Sequence[Week], settings: Settings, *, check: bool = False) -> Prior:
    """A prior trained on these weeks' lists and picks; with `check`, also proof that the
    shipped form scores the training papers as the fitted model does."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    x = np.array([row for w in weeks for row in w.rows], dtype=float)
    y = [label for w in weeks for label in w.labels()]
    mean = np.round(x.mean(axis=0), DIGITS) + 0.0  # + 0.0: no "-0.0" in the JSON
    scale = np.round(x.std(axis=0), DIGITS)
    scale[scale == 0] = 1.0  # a feature that never varies: left as it is
    blocks = [csr_matrix((x - mean) / scale)]
    vocabulary: list[str] = []
    idf: Any = None
    if settings.text != "none":
        docs = [words for w in weeks for words in w.words(settings.text)]
        df = Counter(word for words in docs for word in words)
        vocabulary = sorted(w for w, n in df.items() if n >= MIN_DF and w not in ENGLISH_STOP_WORDS)
        # scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1
        idf = np.round([math.log((1 + len(docs)) / (1 + df[w])) + 1 for w in vocabulary], DIGITS)
        blocks.append(WORD_SCALE * _word_rows(docs, vocabulary, idf))
    design = hstack(blocks).tocsr()
    model = LogisticRegression(C=settings.c, max_iter=10000, tol=TOL)
    # BLAS threads on vectors this small only wait for each other: on a busy 2-core
    # machine a fit takes 10-25 times longer with them than on one thread
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(design, y)
    coef = model.coef_[0]
    n = len(FEATURES)
    prior = Prior(
        version=VERSION,
        text=settings.text,
        intercept=round(float(model.intercept_[0]), DIGITS),
        features=FEATURES,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(round(float(v), DIGITS) for v in coef[:n]),
        # the words' scale is folded into their coefficients: the scorer reads them as is
        words={
            w: (float(i), round(float(WORD_SCALE * c), DIGITS))
            for w, i, c in zip(vocabulary, idf if idf is not None else [], coef[n:], strict=True)
        },
        trained_on={
            "weeks": [w.start for w in weeks],
            "papers": len(y),
            "picks": sum(y),
            "settings": {"text": settings.text, "C": settings.c},
        },
    )
    if check:
        _check(prior, weeks, model.decision_function(design))
    return prior


def _check(prior: Prior, weeks: Sequence[Week], expected: Any) -> None:
    """The shipped form scores the training papers as the fitted model does (up to the
    rounding of the JSON): the scorer reads features and words exactly as trained."""
    found = [s.logit for w in weeks for s in _scores(prior, w)]
    worst = max((abs(a - b) for a, b in zip(found, expected, strict=True)), default=0.0)
    if worst > 1e-3:
        raise RuntimeError(f"the prior's scorer disagrees with its training by {worst:.4f}")


def _scores(prior: Prior, week: Week) -> list[PriorScore]:
    rows = [dict(zip(FEATURES, row, strict=True)) for row in week.rows]
    words = week.words(prior.text) if prior.text != "none" else [frozenset()] * len(rows)
    return prior.score_read([p.arxiv_id for p in week.papers], rows, words)


def _word_rows(docs: Sequence[frozenset[str]], vocabulary: Sequence[str], idf: Any) -> Any:
    """Binary TF-IDF rows, L2-normalised: what `Prior` computes for one paper."""
    from scipy.sparse import csr_matrix

    column = {w: n for n, w in enumerate(vocabulary)}
    data: list[float] = []
    indices: list[int] = []
    indptr = [0]
    for words in docs:
        cols = sorted(column[w] for w in words if w in column)
        norm = math.sqrt(sum(idf[c] ** 2 for c in cols)) or 1.0
        indices += cols
        data += [idf[c] / norm for c in cols]
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(docs), len(vocabulary)))


def ranked(prior: Prior, week: Week) -> list[str]:
    """The week's arXiv ids, best first by the prior; ties by upvotes, then id."""
    scores = _scores(prior, week)
    order = sorted(
        zip(week.papers, scores, strict=True),
        key=lambda ps: (-ps[1].logit, -(ps[0].upvotes or 0), ps[0].arxiv_id),
    )
    return [p.arxiv_id for p, _ in order]


def hits(order: Sequence[str], picks: frozenset[str], n: int) -> int:
    return len(picks & set(order[:n]))


def choose(weeks: Sequence[Week], grid: Sequence[Settings] = GRID, folds: int = FOLDS) -> Settings:
    """The settings that recall the most picks in the top 12 and top 20 of weeks left out
    (weeks dealt into `folds` groups by date); ties go to the simpler, earlier settings."""
    best, best_hits = grid[0], -1
    for settings in grid:
        found = 0
        for k in range(folds):
            held = [w for n, w in enumerate(weeks) if n % folds == k]
            if not any(w.picks for w in held):
                continue
            prior = fit([w for n, w in enumerate(weeks) if n % folds != k], settings)
            for week in held:
                order = ranked(prior, week)
                found += hits(order, week.picks, 12) + hits(order, week.picks, 20)
        if found > best_hits:
            best, best_hits = settings, found
    return best
