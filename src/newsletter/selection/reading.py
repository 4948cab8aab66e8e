"""Reading papers' texts: what a paper is about (topic, kind, section), read once, and the
Analyser that reads a week of them in worker processes, with the learned models' and the
prior's readings of the same text on the side.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import PaperKind, Section
from newsletter.selection.sections import DEFAULT_SECTIONS, Classification, SectionClassifier
from newsletter.selection.topics import Text, Tokens, TopicModel, TopicVerdict, tokens

# Below this many papers in a batch, starting processes costs more than it saves.
PARALLEL_FROM = 1000


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
            import scipy.sparse  # noqa: F401  (imported before the fork: workers inherit it)

            self._pool = ProcessPoolExecutor(self.workers, initializer=_worker_start)
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


def _worker_start() -> None:
    """A worker process: one BLAS thread, and no cyclic garbage collection, which would
    walk its growing heap again and again (what it makes holds no cycles; the pool ends with
    the build)."""
    one_blas_thread()
    gc.disable()


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
    return replace(
        found,
        topic=replace(found.topic, reasons=()),
        placed=replace(found.placed, matched={}),
    )
