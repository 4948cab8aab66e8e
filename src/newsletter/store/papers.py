"""Queries on papers, their signals and the per-location feed state."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from newsletter.domain.merge import merge_listing
from newsletter.domain.papers import AnnounceType, Listing, Paper, Signal
from newsletter.store.engine import MERGE_LOCK, write_turn
from newsletter.store.schema import feed_state, papers, signals

BATCH = 1000
T = TypeVar("T")
Clock = Callable[[], dt.datetime]


@dataclass(frozen=True, slots=True)
class FeedState:
    etag: str | None
    last_modified: str | None


@dataclass(slots=True)
class MergeCounts:
    """What a merge did, per feed."""

    new: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


class PaperQueries:
    """Mixed into Store: everything about papers."""

    engine: Engine
    clock: Clock

    def merge(self, listings: Iterable[Listing]) -> MergeCounts:
        """Fold listings into the store; merging the same data again changes nothing."""
        counts = MergeCounts()
        for chunk in chunks(listings, BATCH):
            with self.engine.begin() as conn:
                write_turn(conn, MERGE_LOCK)  # another process may be merging the same papers
                self._merge_chunk(conn, chunk, counts)
        return counts

    def _merge_chunk(self, conn: Connection, chunk: list[Listing], counts: MergeCounts) -> None:
        ids = sorted({item.arxiv_id for item in chunk})
        before = load_papers(conn, ids)
        after = dict(before)
        for item in chunk:
            old = after.get(item.arxiv_id)
            if old is None and item.announce_type.is_replacement:
                counts.skipped[item.feed] += 1  # a replacement of a paper we never had
                continue
            merged = merge_listing(old, item)
            after[item.arxiv_id] = merged
            if old is None:
                counts.new[item.feed] += 1
            elif merged != old:
                counts.updated[item.feed] += 1
            else:
                counts.unchanged[item.feed] += 1
        self._write(conn, before, after)

    def _write(
        self, conn: Connection, before: Mapping[str, Paper], after: Mapping[str, Paper]
    ) -> None:
        now = self.clock()
        fresh = [p for key, p in after.items() if key not in before]
        changed = [p for key, p in after.items() if key in before and p != before[key]]
        if fresh:
            conn.execute(insert(papers), [_paper_row(p, created=now, updated=now) for p in fresh])
        for paper in changed:
            row = _paper_row(paper, created=now, updated=now)
            del row["created_at"]
            conn.execute(update(papers).where(papers.c.arxiv_id == paper.arxiv_id).values(**row))
        touched = [p.arxiv_id for p in fresh + changed]
        if touched:
            conn.execute(signals.delete().where(signals.c.arxiv_id.in_(touched)))
            rows = [_signal_row(p.arxiv_id, s) for p in fresh + changed for s in p.signals]
            if rows:
                conn.execute(insert(signals), rows)

    def get_paper(self, arxiv_id: str) -> Paper | None:
        with self.engine.connect() as conn:
            return load_papers(conn, [arxiv_id]).get(arxiv_id)

    def paper_titles(self) -> list[tuple[str, str]]:
        """(arXiv id, title) of every paper: to find a published issue's papers by title."""
        with self.engine.connect() as conn:
            return [
                (r.arxiv_id, r.title)
                for r in conn.execute(select(papers.c.arxiv_id, papers.c.title)).all()
            ]

    def papers_listed_between(self, start: dt.date, end: dt.date) -> list[Paper]:
        """Papers whose listing date falls in [start, end], oldest first then by id."""
        in_range = papers.c.listed_on.between(start, end)
        sig_query = (
            select(signals).join(papers, signals.c.arxiv_id == papers.c.arxiv_id).where(in_range)
        )
        query = select(papers).where(in_range).order_by(papers.c.listed_on, papers.c.arxiv_id)
        with self.engine.connect() as conn:
            sigs = _signals_by_paper(conn.execute(sig_query).all())  # fetchall: far fewer calls
            return [_paper_of(row, sigs) for row in conn.execute(query).all()]

    def papers_by_day(self, start: dt.date, end: dt.date) -> Iterator[list[Paper]]:
        """The same papers as `papers_listed_between`, one listing day at a time."""
        day = start
        while day <= end:
            found = self.papers_listed_between(day, day)
            if found:
                yield found
            day += dt.timedelta(days=1)

    def count_papers(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())

    # -- feed state -------------------------------------------------------------

    def feed_states(self, locations: Iterable[str]) -> dict[str, FeedState]:
        wanted = sorted(set(locations))
        found: dict[str, FeedState] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(wanted, BATCH):
                query = select(feed_state).where(feed_state.c.location.in_(chunk))
                for row in conn.execute(query):
                    found[row.location] = FeedState(row.etag, row.last_modified)
        return found

    def save_feed_state(self, location: str, state: FeedState) -> None:
        values = {
            "etag": state.etag,
            "last_modified": state.last_modified,
            "fetched_at": self.clock(),
        }
        with self.engine.begin() as conn:
            write_turn(conn, MERGE_LOCK)  # update-else-insert: one process at a time
            done = conn.execute(
                update(feed_state).where(feed_state.c.location == location).values(**values)
            )
            if done.rowcount == 0:
                conn.execute(insert(feed_state).values(location=location, **values))


def load_papers(conn: Connection, ids: Sequence[str]) -> dict[str, Paper]:
    if not ids:
        return {}
    sigs = _signals_by_paper(conn.execute(select(signals).where(signals.c.arxiv_id.in_(ids))))
    rows = conn.execute(select(papers).where(papers.c.arxiv_id.in_(ids)))
    return {row.arxiv_id: _paper_of(row, sigs) for row in rows}


def _signals_by_paper(rows: Iterable[Row[Any]]) -> dict[str, list[Signal]]:
    found: dict[str, list[Signal]] = defaultdict(list)
    for row in rows:
        found[row.arxiv_id].append(
            Signal(
                feed=row.feed,
                listed_on=row.listed_on,
                announce_type=AnnounceType(row.announce_type),
                upvotes=row.upvotes,
                comments=row.comments,
                on_hugging_face=bool(row.on_hugging_face),
            )
        )
    return found


def _paper_of(row: Row[Any], sigs: Mapping[str, list[Signal]]) -> Paper:
    return Paper(
        arxiv_id=row.arxiv_id,
        title=row.title,
        abstract=row.abstract,
        version=row.version,
        authors=row.authors,
        categories=row.categories,
        primary_category=row.primary_category,
        submitted_at=row.submitted_at,
        listed_on=row.listed_on,
        abs_url=row.abs_url,
        pdf_url=row.pdf_url,
        hf_url=row.hf_url,
        signals=tuple(sorted(sigs.get(row.arxiv_id, ()), key=lambda s: s.feed)),
    )


def _paper_row(p: Paper, *, created: dt.datetime, updated: dt.datetime) -> dict[str, Any]:
    return {
        "arxiv_id": p.arxiv_id,
        "version": p.version,
        "title": p.title,
        "abstract": p.abstract,
        "authors": p.authors,
        "categories": p.categories,
        "primary_category": p.primary_category,
        "abs_url": p.abs_url,
        "pdf_url": p.pdf_url,
        "hf_url": p.hf_url,
        "submitted_at": p.submitted_at,
        "listed_on": p.listed_on,
        "created_at": created,
        "updated_at": updated,
    }


def _signal_row(arxiv_id: str, s: Signal) -> dict[str, Any]:
    return {
        "arxiv_id": arxiv_id,
        "feed": s.feed,
        "listed_on": s.listed_on,
        "announce_type": s.announce_type.value,
        "upvotes": s.upvotes,
        "comments": s.comments,
        "on_hugging_face": s.on_hugging_face,
    }


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
