"""Papers as feeds list them and as the store keeps them: plain typed values, no I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class SourceKind(StrEnum):
    ARXIV_RSS = "arxiv-rss"
    ARXIV_API = "arxiv-api"
    HF_DAILY = "hf-daily"
    RSS = "rss"


class AnnounceType(StrEnum):
    """arXiv's announce types; feeds that do not say are treated as NEW."""

    NEW = "new"
    CROSS = "cross"
    REPLACE = "replace"
    REPLACE_CROSS = "replace-cross"

    @property
    def is_replacement(self) -> bool:
        return self in (AnnounceType.REPLACE, AnnounceType.REPLACE_CROSS)


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One configured source: a `[[feeds]]` entry or a `--source KIND=URL`."""

    name: str
    kind: SourceKind
    url: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Listing:
    """A paper as one feed showed it, already cleaned to plain text."""

    arxiv_id: str
    title: str
    feed: str
    abstract: str = ""
    version: int | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    submitted_at: dt.datetime | None = None
    listed_on: dt.date | None = None
    announce_type: AnnounceType = AnnounceType.NEW
    upvotes: int | None = None
    comments: int | None = None
    on_hugging_face: bool = False


# Signal and Paper are not frozen: a build loads tens of thousands of them, and a frozen
# dataclass's __init__ is several times slower. Treat them as values all the same.
@dataclass(slots=True)
class Signal:
    """What one feed said about a paper: the evidence the selector weighs."""

    feed: str
    listed_on: dt.date | None
    announce_type: AnnounceType
    upvotes: int | None = None
    comments: int | None = None
    on_hugging_face: bool = False


@dataclass(slots=True)
class Paper:
    """A paper in the store: one row per arXiv id, merged across feeds."""

    arxiv_id: str
    title: str
    abstract: str
    version: int | None
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    primary_category: str | None
    submitted_at: dt.datetime | None
    listed_on: dt.date | None
    abs_url: str
    pdf_url: str
    hf_url: str | None
    signals: tuple[Signal, ...] = ()

    @property
    def feeds(self) -> tuple[str, ...]:
        return tuple(s.feed for s in self.signals)

    @property
    def upvotes(self) -> int | None:
        votes = [s.upvotes for s in self.signals if s.upvotes is not None]
        return max(votes) if votes else None

    @property
    def comments(self) -> int | None:
        counts = [s.comments for s in self.signals if s.comments is not None]
        return max(counts) if counts else None


@dataclass(slots=True)
class ParseResult:
    """What a parser made of one document: the listings, and what it passed over."""

    listings: list[Listing] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    repaired: int = 0  # kept with invalid characters removed


@dataclass(slots=True)
class FeedReport:
    """One line of `newsletter ingest` output."""

    feed: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    not_modified: bool = False
    error: str | None = None
    repaired: int = 0  # entries kept with invalid characters removed (named in problems)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None
