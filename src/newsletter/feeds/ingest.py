"""Ingest: fetch every feed concurrently, parse, and merge into the store.

Threads fetch (I/O bound); large documents are parsed in worker processes, since
feedparser is pure Python and would hold the GIL; the calling thread alone writes to
the store, in batches. One failing feed never stops the others.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from newsletter.domain.papers import FeedReport, FeedSpec, Listing, ParseResult, SourceKind
from newsletter.errors import FeedError
from newsletter.feeds import parse as feeds
from newsletter.feeds.fetch import Conditional, Fetched, Fetcher
from newsletter.store import FeedState, MergeCounts

# Below this size a document parses faster in the thread than it ships to a process.
INLINE_PARSE_BYTES = 256 * 1024
MAX_API_PAGES = 50

Progress = Callable[[FeedReport], None]


class PaperStore(Protocol):
    """Where an ingest writes: papers merged in batches, and each feed's HTTP validators."""

    def feed_states(self, locations: Iterable[str]) -> dict[str, FeedState]: ...

    def merge(self, listings: Iterable[Listing]) -> MergeCounts: ...

    def save_feed_state(self, location: str, state: FeedState) -> None: ...


@dataclass(slots=True)
class FeedRead:
    """Everything one feed gave in this run, before it touches the store."""

    spec: FeedSpec
    listings: list[Listing] = field(default_factory=list)
    documents: int = 0
    not_modified: int = 0
    skipped: int = 0
    repaired: int = 0
    problems: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    not_made: int = 0  # requests left out after the server gave up
    states: dict[str, FeedState] = field(default_factory=dict)


def ingest(
    specs: Sequence[FeedSpec],
    store: PaperStore,
    *,
    since: dt.date,
    until: dt.date,
    fetcher: Fetcher,
    threads: int = 8,
    processes: int | None = None,
    on_feed: Progress | None = None,
) -> list[FeedReport]:
    """Ingest `specs` for listing dates in [since, until]; one report per feed, in order."""
    plans = {spec.name: feeds.requests_for(spec, since, until) for spec in specs}
    known = store.feed_states(loc for plan in plans.values() for loc, _ in plan)
    reports: dict[str, FeedReport] = {}
    with _parser(processes) as parse, ThreadPoolExecutor(max(1, min(threads, len(specs)))) as pool:
        jobs: dict[Future[FeedRead], FeedSpec] = {
            pool.submit(_read_feed, spec, plans[spec.name], known, fetcher, parse): spec
            for spec in specs
        }
        for job in as_completed(jobs):
            spec = jobs[job]
            report = _store_read(store, spec, job)
            reports[spec.name] = report
            if on_feed:
                on_feed(report)
    return [reports[spec.name] for spec in specs]


def _store_read(store: PaperStore, spec: FeedSpec, job: Future[FeedRead]) -> FeedReport:
    try:
        read = job.result()
    except Exception as exc:  # a bug in one feed's handling must not sink the batch
        return FeedReport(feed=spec.name, error=f"unexpected {type(exc).__name__}: {exc}")
    return _store_feed(store, read)


def _store_feed(store: PaperStore, read: FeedRead) -> FeedReport:
    """Merge one feed's listings, then remember its validators (so a crash refetches)."""
    name = read.spec.name
    left_out = (
        [f"{read.not_made} later requests not made: the server is not answering"]
        if read.not_made
        else []
    )
    listings, unfit = _storable(read.listings)
    report = FeedReport(
        feed=name,
        fetched=len(listings),
        skipped=read.skipped + len(unfit),
        repaired=read.repaired,
        problems=read.problems + unfit + read.failures + left_out,
        not_modified=read.documents == 0 and read.not_modified > 0,
    )
    if read.failures and read.documents == 0 and read.not_modified == 0:
        more = (
            f" (and {len(read.failures) - 1} more failed requests)"
            if len(read.failures) > 1
            else ""
        )
        report.error = "; ".join([read.failures[0] + more, *left_out])
        return report
    counts = store.merge(listings)
    report.new, report.updated = counts.new[name], counts.updated[name]
    report.unchanged, report.skipped = counts.unchanged[name], report.skipped + counts.skipped[name]
    for location, state in read.states.items():
        store.save_feed_state(location, state)
    return report


def _storable(listings: list[Listing]) -> tuple[list[Listing], list[str]]:
    """The listings every store can hold, and a line naming each other one.

    The parsers clean text at the door (feeds/text.py), so this never drops anything today;
    it keeps one entry a parser let through from failing the whole feed's write.
    """
    kept, unfit = [], []
    for item in listings:
        texts = (item.arxiv_id, item.title, item.abstract, item.primary_category or "")
        if all(_fits(t) for t in (*texts, *item.authors, *item.categories)):
            kept.append(item)
        else:
            unfit.append(f"{item.feed} entry {item.arxiv_id}: skipped: text the store cannot hold")
    return kept, unfit


def _fits(text: str) -> bool:
    """UTF-8 can encode it (no lone surrogate) and it has no NUL (PostgreSQL refuses one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


ParseFn = Callable[[SourceKind, bytes, str, "dt.date | None", "str | None"], ParseResult]


def _read_feed(
    spec: FeedSpec,
    plan: Sequence[tuple[str, dt.date | None]],
    known: dict[str, FeedState],
    fetcher: Fetcher,
    parse: ParseFn,
) -> FeedRead:
    """Fetch and parse every document of one feed; failures are collected, not raised.

    A server that kept failing through every retry is not asked again in this run: a
    dead feed costs one request's retry budget, not one per day of the range.
    """
    read = FeedRead(spec)
    for done, (location, day) in enumerate(plan):
        try:
            if spec.kind is SourceKind.ARXIV_API:
                _read_api_pages(read, location, fetcher, parse)
            else:
                _read_document(read, location, day, known.get(location), fetcher, parse)
        except FeedError as exc:
            if day is not None and exc.status == 404 and "://" not in location:
                continue  # a local dated list that does not exist: no list that day
            read.failures.append(_failure(exc, day))
            if exc.gave_up:
                read.not_made = len(plan) - done - 1
                break
    return read


def _read_document(
    read: FeedRead,
    location: str,
    day: dt.date | None,
    state: FeedState | None,
    fetcher: Fetcher,
    parse: ParseFn,
) -> ParseResult | None:
    conditional = Conditional(state.etag, state.last_modified) if state else None
    got = fetcher.get(location, conditional)
    if got.not_modified:
        read.not_modified += 1
        return None
    result = parse(read.spec.kind, got.content, read.spec.name, day, got.content_type)
    read.documents += 1
    read.listings.extend(result.listings)
    read.skipped += result.skipped
    read.repaired += result.repaired
    read.problems.extend(f"{_where(location, day)}: {p}" for p in result.problems)
    if got.etag or got.last_modified:
        read.states[location] = FeedState(got.etag, got.last_modified)
    return result


def _read_api_pages(read: FeedRead, first: str, fetcher: Fetcher, parse: ParseFn) -> None:
    """arXiv API results come in pages; follow them until the total is reached."""
    start, url = 0, first
    for _ in range(MAX_API_PAGES):
        got: Fetched = fetcher.get(url)
        result = parse(read.spec.kind, got.content, read.spec.name, None, got.content_type)
        read.documents += 1
        read.listings.extend(result.listings)
        read.skipped += result.skipped
        read.repaired += result.repaired
        read.problems.extend(result.problems)
        total = feeds.api_total_results(got.content)
        start += feeds.API_PAGE_SIZE  # a page holds this many entries, whatever we kept of them
        if not result.listings or total is None or start >= total:
            return
        url = feeds.next_api_page(first, start)
    read.problems.append(f"stopped after {MAX_API_PAGES} pages; narrow the date range")


def _failure(exc: FeedError, day: dt.date | None) -> str:
    return f"{day.isoformat()}: {exc}" if day else str(exc)


def _where(location: str, day: dt.date | None) -> str:
    return day.isoformat() if day else os.path.basename(location.split("?")[0]) or location


def _parse_inline(
    kind: SourceKind, content: bytes, feed: str, day: dt.date | None, ctype: str | None
) -> ParseResult:
    return feeds.parse(kind, content, feed=feed, listed_on=day, content_type=ctype)


@contextmanager
def _parser(processes: int | None) -> Iterator[ParseFn]:
    """A parse function that sends big documents to a process pool created on first need."""
    workers = processes if processes is not None else (os.cpu_count() or 1)
    pool: list[Executor] = []
    lock = threading.Lock()

    def parse(
        kind: SourceKind, content: bytes, feed: str, day: dt.date | None, ctype: str | None
    ) -> ParseResult:
        if workers <= 1 or len(content) < INLINE_PARSE_BYTES:
            return _parse_inline(kind, content, feed, day, ctype)
        with lock:
            if not pool:
                # Not fork: the pool starts from a fetch thread while others parse inline, and
                # a child forked while one of them holds an import lock (feedparser imports its
                # XML driver on each parse) waits on it forever. A fork server starts clean.
                forkserver = multiprocessing.get_context("forkserver")
                pool.append(ProcessPoolExecutor(workers, mp_context=forkserver))
        return pool[0].submit(_parse_inline, kind, content, feed, day, ctype).result()

    try:
        yield parse
    finally:
        for executor in pool:
            executor.shutdown()
