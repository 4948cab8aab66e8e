"""Selection: the week's candidates, the topic filter, and an importance score with its "why".

The score adds up explainable parts, each weighted from `[selection.weights]` (the rules,
`selection/rules.py`):

- upvotes: Hugging Face upvotes relative to the busiest paper of the same day's list
  (log scale, so 3 votes on a quiet day can still count);
- comments: discussion beyond the automatic first comment;
- feeds: how many configured feeds listed the paper, by their weights;
- kind: surveys, benchmarks, scaling laws, replications and open releases matter more
  to readers than one more method;
- topic: how squarely the paper is about LLMs (the topic filter's score, capped).
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from newsletter.config.editor import WeightsConfig
from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import PaperKind, Section
from newsletter.selection.rules import Rules
from newsletter.selection.sections import DEFAULT_SECTIONS, Classification, SectionClassifier
from newsletter.selection.topics import Text, Tokens, TopicModel, TopicVerdict, tokens

# Below this many papers in a batch, starting processes costs more than it saves.
PARALLEL_FROM = 1000
# A topic score at which a paper is squarely about LLMs (the top third of real listings).
TOPIC_FULL = 15.0


def rank(papers: Sequence[Paper], rules: Rules, *, workers: int | None = None) -> list[Candidate]:
    """Every on-topic paper as a scored candidate, best first; ties break by votes then id."""
    with Analyser(PaperReader(rules.sections), workers) as analyser:
        analyser.submit(papers)
        return rank_analysed(analyser.results(), rules)


def rank_analysed(found: Sequence[tuple[Paper, Analysis | None]], rules: Rules) -> list[Candidate]:
    day_best = _busiest_by_day([paper for paper, _ in found])
    ranked = [
        _candidate(paper, analysis, rules, day_best, forced=False)
        for paper, analysis in found
        if analysis is not None and analysis.topic.is_llm
    ]
    ranked.sort(key=ranking_key)
    return ranked


def force(
    paper: Paper, rules: Rules, papers: Sequence[Paper], reader: PaperReader | None = None
) -> Candidate:
    """The editor's --include: scored as usual, but in regardless of topic."""
    found = (reader or PaperReader(rules.sections)).analyse(
        paper.title, paper.abstract, keep_off_topic=True
    )
    assert found is not None
    return _candidate(paper, found, rules, _busiest_by_day(papers), forced=True)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What reading a paper's text tells: topic, kind and section."""

    topic: TopicVerdict
    kind: PaperKind
    kind_why: tuple[str, ...]
    placed: Classification


class PaperReader:
    """Reads a paper's title and abstract once, and answers what the score needs: its
    topic, its kind and its section. Holds the compiled phrase tables (a few milliseconds
    to build): make one per section list and hand it down, to worker processes too."""

    __slots__ = ("classifier", "topics")

    def __init__(
        self, sections: Sequence[Section] = DEFAULT_SECTIONS, topics: TopicModel | None = None
    ) -> None:
        self.topics = topics if topics is not None else TopicModel()
        self.classifier = SectionClassifier(sections)

    @property
    def sections(self) -> tuple[Section, ...]:
        return self.classifier.sections

    def analyse(
        self, title: Text, abstract: Text, *, keep_off_topic: bool = False
    ) -> Analysis | None:
        """The paper's analysis (of its texts or their `Tokens`); None for an off-topic paper
        unless `keep_off_topic`."""
        title_tokens, abstract_tokens = tokens(title), tokens(abstract)
        verdict = self.topics.relevance(title_tokens, abstract_tokens)
        if not verdict.is_llm and not keep_off_topic:
            return None
        kind, why = self.topics.kind(title_tokens, abstract_tokens)
        placed = self.classifier.classify(title_tokens, abstract_tokens)
        return Analysis(verdict, kind, why, placed)


# Reads texts (title, abstract, or their Tokens) into one row each of a matrix: the learned
# model's features.
TextReader = Callable[[Sequence[tuple[Text, Text]]], Any]
# Reads one text (title, abstract, or their Tokens) with its analysis into what the prior
# weighs of it (selection/prior.py `PriorTexts`).
TextScorer = Callable[[Text, Text, Analysis], Any]


@dataclass(frozen=True, slots=True)
class Chunk:
    analyses: list[Analysis | None]
    rows: Any = None  # the reader's rows of the on-topic papers, in order
    scores: list[Any] | None = None  # the text scorer's, of the on-topic papers, in order


class Analyser:
    """Reads papers' texts with one `PaperReader`, in worker processes for big batches.

    Reading thousands of abstracts is the costly part of a build, so batches are handed
    to `workers` processes (default: one per core, each with a copy of the paper reader)
    as they come, and the caller can load the next batch meanwhile. Small batches are read
    in-process: starting workers would cost more than it saves. With a `reader`, the
    workers also read each on-topic paper into the learned model's features, and with a
    `scorer` into what the prior weighs of its text, reusing its analysis: the other
    costly reads. Workers do linear algebra on one BLAS thread (as the build does).
    """

    def __init__(
        self,
        paper_reader: PaperReader,
        workers: int | None = None,
        reader: TextReader | None = None,
        scorer: TextScorer | None = None,
    ) -> None:
        self.paper_reader = paper_reader
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.reader = reader
        self.scorer = scorer
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[Sequence[Paper], Future[Chunk] | Chunk]] = []

    def submit(self, papers: Sequence[Paper]) -> None:
        texts = [(p.title, p.abstract) for p in papers]
        readers = (self.paper_reader, self.reader, self.scorer)
        if self.workers <= 1 or len(texts) < PARALLEL_FROM:
            self._pending.append((papers, _analyse_chunk(texts, *readers)))
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, initializer=one_blas_thread)
        size = -(-len(texts) // self.workers)
        for start in range(0, len(texts), size):
            future = self._pool.submit(_analyse_chunk, texts[start : start + size], *readers)
            self._pending.append((papers[start : start + size], future))

    def results(self) -> list[tuple[Paper, Analysis | None]]:
        """Every submitted paper with its analysis, in submission order."""
        out: list[tuple[Paper, Analysis | None]] = []
        for papers, chunk in self._chunks():
            out.extend(zip(papers, chunk.analyses, strict=True))
        return out

    def features(self) -> tuple[list[str], list[Any]]:
        """The on-topic papers' arXiv ids and the reader's rows of them, chunk by chunk."""
        ids: list[str] = []
        matrices = []
        for papers, chunk in self._chunks():
            if chunk.rows is not None:
                ids += [p.arxiv_id for p, a in zip(papers, chunk.analyses, strict=True) if a]
                matrices.append(chunk.rows)
        return ids, matrices

    def scores(self) -> dict[str, Any]:
        """The text scorer's reading of each on-topic paper, by arXiv id."""
        found: dict[str, Any] = {}
        for papers, chunk in self._chunks():
            if chunk.scores is not None:
                on_topic = [p for p, a in zip(papers, chunk.analyses, strict=True) if a]
                found.update(zip((p.arxiv_id for p in on_topic), chunk.scores, strict=True))
        return found

    def _chunks(self) -> list[tuple[Sequence[Paper], Chunk]]:
        return [
            (papers, done.result() if isinstance(done, Future) else done)
            for papers, done in self._pending
        ]

    def __enter__(self) -> Analyser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def one_blas_thread() -> None:
    """Linear algebra on one thread in this process: on a busy machine, BLAS threads over
    arrays this small mostly wait for each other (a model's fit: 4.0 s -> 1.0 s)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _analyse_chunk(
    texts: Sequence[tuple[str, str]],
    papers: PaperReader,
    reader: TextReader | None,
    scorer: TextScorer | None,
) -> Chunk:
    read = [(Tokens.of(title), Tokens.of(abstract)) for title, abstract in texts]
    found = [papers.analyse(title, abstract) for title, abstract in read]
    on_topic = [n for n, analysis in enumerate(found) if analysis is not None]
    rows = reader([read[n] for n in on_topic]) if reader is not None and on_topic else None
    scores = None
    if scorer is not None:
        scores = [scorer(*read[n], found[n]) for n in on_topic]  # type: ignore[arg-type]
    return Chunk([_lean(a) for a in found], rows, scores)


def _lean(found: Analysis | None) -> Analysis | None:
    """An analysis without what a build never reads of it (the phrases that fired for the
    topic and each section), so that a worker hands back a third of the bytes."""
    if found is None:
        return None
    topic = TopicVerdict(found.topic.is_llm, found.topic.score, ())
    placed = Classification(found.placed.section, found.placed.scores, {}, found.placed.kind)
    return Analysis(topic, found.kind, found.kind_why, placed)


def _candidate(
    paper: Paper, found: Analysis, rules: Rules, day_best: Mapping[object, int], *, forced: bool
) -> Candidate:
    w = rules.weights
    topic = found.topic.score
    parts = [
        _upvote_part(paper, day_best, w.upvotes),
        _comment_part(paper, w.comments),
        _feed_part(paper, rules.feed_weights, w.feeds),
        ScorePart("kind", w.kinds.of(found.kind), found.kind.value + _because(found.kind_why)),
        ScorePart(
            "topic",
            round(w.topic * max(min(topic, TOPIC_FULL), 0.0) / TOPIC_FULL, 4),
            f"LLM relevance {topic:g}",
        ),
    ]
    return Candidate(
        paper=paper,
        score=round(sum(p.value for p in parts), 4),
        parts=tuple(p for p in parts if p.value),
        section=found.placed.section,
        section_scores=found.placed.scores,
        kind=found.kind,
        forced=forced,
        signals=signal_values(
            upvotes=paper.upvotes,
            day_best=day_best.get(paper.listed_on, 0),
            comments=paper.comments,
            listed=sum(rules.feed_weights.get(name, 1.0) for name in paper.feeds),
            topic=topic,
            kind=found.kind.value,
        ),
    )


def signal_values(
    *,
    upvotes: int | None,
    day_best: int,
    comments: int | None,
    listed: float,
    topic: float,
    kind: str,
) -> dict[str, float]:
    """The rule score's inputs on one scale, [0, 1], for a model to weigh itself."""
    votes = upvotes or 0
    return {
        "upvotes": math.log1p(votes) / math.log1p(day_best) if votes > 0 and day_best > 0 else 0.0,
        "comments": min(max((comments or 0) - 1, 0), 4) / 4,
        "feeds": min(max(listed - 1.0, 0.0), 2.0) / 2.0,
        "topic": max(min(topic, TOPIC_FULL), 0.0) / TOPIC_FULL,
        f"kind {kind}": 1.0,
    }


def rule_score(signals: Mapping[str, float], weights: WeightsConfig) -> float:
    """The rule score from its inputs as `signal_values` gives them: their weighted sum."""
    return round(sum(w * signals.get(name, 0.0) for name, w in rule_weights(weights)), 4)


def rule_weights(weights: WeightsConfig) -> tuple[tuple[str, float], ...]:
    """Each of `signal_values`' inputs with its weight in the rule score."""
    return (
        ("upvotes", weights.upvotes),
        ("comments", weights.comments),
        ("feeds", weights.feeds),
        ("topic", weights.topic),
        *((f"kind {k.value}", weights.kinds.of(k)) for k in PaperKind),
    )


def _upvote_part(paper: Paper, day_best: Mapping[object, int], weight: float) -> ScorePart:
    votes = paper.upvotes or 0
    best = day_best.get(paper.listed_on, 0)
    if votes <= 0 or best <= 0:
        return ScorePart("upvotes", 0.0, "no upvotes")
    rel = math.log1p(votes) / math.log1p(best)
    return ScorePart("upvotes", round(weight * rel, 4), f"{votes} of the day's best {best}")


def _comment_part(paper: Paper, weight: float) -> ScorePart:
    extra = max((paper.comments or 0) - 1, 0)  # the submitter's own post is always there
    value = weight * min(extra, 4) / 4
    return ScorePart("comments", round(value, 4), f"{paper.comments or 0} comments")


def _feed_part(paper: Paper, feed_weights: Mapping[str, float], weight: float) -> ScorePart:
    listed = sum(feed_weights.get(name, 1.0) for name in paper.feeds)
    extra = max(listed - 1.0, 0.0)  # being listed at all is what makes a candidate
    names = ", ".join(paper.feeds) or "no feed"
    return ScorePart("feeds", round(weight * min(extra, 2.0) / 2.0, 4), f"listed by {names}")


def _because(reasons: Sequence[str]) -> str:
    return f": {', '.join(reasons[:2])}" if reasons else ""


def _busiest_by_day(papers: Sequence[Paper]) -> dict[object, int]:
    best: dict[object, int] = defaultdict(int)
    for paper in papers:
        best[paper.listed_on] = max(best[paper.listed_on], paper.upvotes or 0)
    return dict(best)


def ranking_key(c: Candidate) -> tuple[float, int, str]:
    """Best first; ties break by upvotes, then by arXiv id, so the order is deterministic."""
    return (-c.score, -(c.paper.upvotes or 0), c.paper.arxiv_id)
