"""The store: owns the database, its migrations and every query.

SQLite is the embedded default; PostgreSQL works by URL. Papers are keyed by their arXiv
id without version; what each feed said about a paper is kept as a signal.
"""

from __future__ import annotations

import datetime as dt

from newsletter.store.deliveries import Batch, DeliveryQueries, Recipient
from newsletter.store.engine import connect, migrate, safe_url
from newsletter.store.events import EventQueries
from newsletter.store.issues import IssueQueries, StoredIssue
from newsletter.store.papers import Clock, FeedState, MergeCounts, PaperQueries
from newsletter.store.subscribers import SubscriberQueries

__all__ = ["Batch", "FeedState", "MergeCounts", "Recipient", "Store", "StoredIssue", "utcnow"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store(PaperQueries, IssueQueries, DeliveryQueries, SubscriberQueries, EventQueries):
    """One database. Create it with a SQLAlchemy URL; the schema is migrated on open."""

    def __init__(self, url: str, *, clock: Clock = utcnow, migrate: bool = True) -> None:
        self.url = url
        self.clock = clock
        self.engine = connect(url)
        if migrate:
            self.migrate()

    def migrate(self, revision: str = "head") -> None:
        migrate(self.engine, revision)

    @property
    def safe_url(self) -> str:
        return safe_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
