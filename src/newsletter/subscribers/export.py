"""Subscribers out: every subscriber streamed a page at a time, as CSV whose cells a
spreadsheet never runs as formulas (cells.py)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Protocol, TextIO

from newsletter.domain.subscriber import Status, Subscriber
from newsletter.subscribers.cells import neutralise

__all__ = ["EXPORT_COLUMNS", "Pages", "export_csv", "iter_subscribers"]


class Pages(Protocol):
    """Subscribers a keyset page at a time: what an export reads."""

    def find_subscribers(
        self,
        *,
        status: Status | None = None,
        search: str | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[Subscriber]: ...


def iter_subscribers(
    store: Pages, *, status: Status | None = None, page_size: int = 1000
) -> Iterator[Subscriber]:
    """Every subscriber by id, fetched a page at a time (keyset), never the whole list at once."""
    after = 0
    while True:
        page = store.find_subscribers(status=status, after_id=after, limit=page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].id


EXPORT_COLUMNS = (
    "id",
    "email",
    "name",
    "status",
    "source",
    "created_at",
    "updated_at",
    "confirmed_at",
    "unsubscribed_at",
    "attributes",
)


def export_csv(
    store: Pages, out: TextIO, *, status: Status | None = None, page_size: int = 1000
) -> int:
    """Write subscribers as CSV to `out` as they are read; returns how many were written."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for sub in iter_subscribers(store, status=status, page_size=page_size):
        writer.writerow(_export_row(sub))
        count += 1
    return count


def _export_row(sub: Subscriber) -> list[str]:
    def when(value: dt.datetime | None) -> str:
        return value.isoformat() if value else ""

    attributes = (
        json.dumps(sub.attributes, ensure_ascii=False, sort_keys=True) if sub.attributes else ""
    )
    row = [
        str(sub.id),
        sub.email,
        sub.name or "",
        sub.status.value,
        sub.source or "",
        when(sub.created_at),
        when(sub.updated_at),
        when(sub.confirmed_at),
        when(sub.unsubscribed_at),
        attributes,
    ]
    return [neutralise(cell) for cell in row]
