"""The subscriber operations the CLI and the web app share: adding, signing up, confirming,
unsubscribing, coming back, erasing, listing, counting, importing and exporting.

The rules are subscribers/membership.py's (with domain/subscriber.py's statuses); the CSV
formats are import_csv.py's and export.py's. Here each operation gets its store from the App.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from newsletter.app import App
from newsletter.domain.events import Via
from newsletter.domain.subscriber import Status, Subscriber
from newsletter.subscribers import membership
from newsletter.subscribers.export import export_csv
from newsletter.subscribers.import_csv import BATCH_SIZE, ImportProgress, ImportReport, import_csv
from newsletter.subscribers.membership import Added, Stats

__all__ = [
    "BATCH_SIZE",
    "Added",
    "ImportReport",
    "Stats",
    "add",
    "come_back",
    "confirm",
    "export",
    "find",
    "get",
    "import_file",
    "leave",
    "listed",
    "remove",
    "sign_up",
    "stats",
    "unsubscribe",
]


def add(app: App, email: str, *, name: str | None = None, source: str = "cli") -> Added:
    """`email` as active (the owner adding someone is their consent); a stored address keeps
    its status (nobody who left is re-activated), a given name replaces theirs."""
    with app.store() as store:
        return membership.add(store, email, name=name, source=source)


def sign_up(
    app: App, email: str, *, name: str | None = None, now: dt.datetime | None = None
) -> Subscriber:
    """The web form: a new address is stored pending until its owner confirms."""
    with app.store() as store:
        return membership.sign_up(store, email, name=name, now=now)


def confirm(
    app: App, subscriber_id: int, at: dt.datetime, *, issued: dt.datetime | None = None
) -> Subscriber:
    """The address's owner followed the link mailed to it (issued at `issued`): active now,
    named as typed with that sign-up."""
    with app.store() as store:
        return membership.confirm(store, subscriber_id, at, issued=issued)


def leave(app: App, subscriber_id: int, at: dt.datetime, *, via: Via) -> Subscriber:
    """Unsubscribed by their own link (the one-click post, the page's button)."""
    with app.store() as store:
        return membership.leave(store, subscriber_id, Status.UNSUBSCRIBED, at, via=via)


def come_back(app: App, subscriber_id: int, at: dt.datetime) -> tuple[Subscriber, bool]:
    """The unsubscribe page's "Subscribe again": the subscriber, and whether it takes a
    confirmation mail first (see membership.come_back)."""
    with app.store() as store:
        return membership.come_back(store, subscriber_id, at)


def unsubscribe(app: App, email: str) -> tuple[Subscriber, bool]:
    """Unsubscribe `email` by hand; the subscriber, and whether anything changed."""
    with app.store() as store:
        return membership.unsubscribe(store, email)


def get(app: App, subscriber_id: int) -> Subscriber | None:
    with app.store() as store:
        return membership.get(store, subscriber_id)


def find(app: App, email: str) -> Subscriber | None:
    """The subscriber with this address in any case; SubscriberError if it is not one."""
    with app.store() as store:
        return membership.get_by_email(store, email)


def remove(app: App, email: str) -> int:
    """Erase the person and their delivery history; how many delivery rows went."""
    with app.store() as store:
        return membership.remove(store, email)


def listed(
    app: App, *, status: Status | None = None, search: str | None = None, limit: int = 50
) -> list[Subscriber]:
    with app.store() as store:
        return membership.list_subscribers(store, status=status, search=search, limit=limit)


def stats(app: App, *, weeks: int = 8) -> Stats:
    with app.store() as store:
        return membership.stats(store, weeks=weeks)


def export(app: App, out: TextIO, *, status: Status | None = None) -> int:
    """Subscribers as CSV, streamed page by page; how many were written."""
    with app.store() as store:
        return export_csv(store, out, status=status)


def import_file(
    app: App,
    path: Path,
    *,
    source: str | None = None,
    resubscribe: bool = False,
    rejects: Path | None = None,
    batch_size: int = BATCH_SIZE,
    now: dt.datetime | None = None,
    on_batch: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """A CSV list merged in (see subscribers/import_csv.py); bad rows go to the rejects file."""
    with app.store() as store:
        return import_csv(
            store,
            path,
            source=source,
            resubscribe=resubscribe,
            rejects_path=rejects,
            batch_size=batch_size,
            now=now,
            on_batch=on_batch,
        )
