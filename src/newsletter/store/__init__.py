"""The store: owns the database, its migrations and every query.

SQLite is the embedded default; PostgreSQL works by URL. Papers are keyed by their arXiv
id without version; what each feed said about a paper is kept as a signal. One module per
table group: papers, issues, review (a draft's versions, approval, the waiting run),
deliveries, subscribers, events (provider events, folded
totals, the list's joins and leaves), archive, learning (decisions and models),
subject_tests (subject-line tests), readers (votes on papers, the welcome mail's ledger),
activity (each feed's ingests and the last send, for /healthz); backup copies and restores the
whole database (SQLite's online backup, pg_dump). The rules its queries apply (merging a paper,
an issue's status moves, joins and leaves, who a claim skips) are domain/'s. Consumers take it
through the narrow protocols they declare.
"""

from __future__ import annotations

import datetime as dt

from newsletter.store.activity import ActivityQueries, IngestLog, LastSend
from newsletter.store.archive import ArchiveEntry, ArchiveQueries
from newsletter.store.deliveries import DeliveryQueries
from newsletter.store.engine import connect, migrate, safe_url
from newsletter.store.events import EventCounts, EventQueries
from newsletter.store.issues import IssueQueries, StoredIssue
from newsletter.store.learning import LearningQueries
from newsletter.store.papers import Clock, FeedState, MergeCounts, PaperQueries
from newsletter.store.readers import ReaderQueries
from newsletter.store.review import ReviewQueries
from newsletter.store.subject_tests import SubjectTestQueries
from newsletter.store.subscribers import SubscriberQueries

__all__ = [
    "ArchiveEntry",
    "EventCounts",
    "FeedState",
    "IngestLog",
    "LastSend",
    "MergeCounts",
    "Store",
    "StoredIssue",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store(
    PaperQueries,
    IssueQueries,
    DeliveryQueries,
    SubscriberQueries,
    EventQueries,
    ArchiveQueries,
    LearningQueries,
    SubjectTestQueries,
    ReaderQueries,
    ActivityQueries,
    ReviewQueries,
):
    """One database, by SQLAlchemy URL. Opening it changes nothing: `migrate()` is the
    explicit step that creates or upgrades the schema (`newsletter db upgrade`, or the
    start of a command, the web app or a flow)."""

    def __init__(self, url: str, *, clock: Clock = utcnow) -> None:
        self.url = url
        self.clock = clock
        self.engine = connect(url)

    def migrate(self, revision: str = "head") -> str:
        """Bring the schema up to `revision`, keeping the data; the revision it is at now."""
        return migrate(self.engine, revision)

    @property
    def safe_url(self) -> str:
        return safe_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
