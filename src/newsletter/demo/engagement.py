"""The demo's engagement: synthetic readers get the issue, a synthetic SendGrid event stream
goes through the same code the webhook runs, and the report page is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsletter.delivery.message import Envelope, Signer
from newsletter.demo.events import EventStream, Reader, synthetic_stream
from newsletter.domain.issue import IssueRecord
from newsletter.domain.subscriber import Status
from newsletter.engagement.ingest import apply_events
from newsletter.engagement.page import report_html
from newsletter.engagement.report import Report, make_report
from newsletter.private_files import write_private
from newsletter.store import Store, StoredIssue
from newsletter.subscribers import service
from newsletter.subscribers.import_csv import import_csv

SENT_DAYS_AGO = 4  # the stream is played as if the issue went out this long ago


GROWTH_WEEKS = 7  # the synthetic readers joined over this many weeks before the send


def add_readers(store: Store, count: int, folder: Path, sent: dt.datetime) -> None:
    """`count` synthetic readers (readerN@example.org), imported as CSV lists would be: a
    batch a week over the GROWTH_WEEKS weeks before `sent`, each a little bigger, so the
    report's list growth has a history (inside its default eight weeks)."""
    shares = [1 + n / GROWTH_WEEKS for n in range(GROWTH_WEEKS)]
    bounds = [round(count * sum(shares[: n + 1]) / sum(shares)) for n in range(GROWTH_WEEKS)]
    first = 0
    for week, last in enumerate(bounds):
        path = folder / f"synthetic-readers-{week + 1}.csv"
        rows = "".join(f"reader{n}@example.org,Reader {n}\n" for n in range(first, last))
        write_private(path, "email,name\n" + rows)
        when = sent - dt.timedelta(weeks=GROWTH_WEEKS - 1 - week, days=1)
        import_csv(store, path, source="demo", now=when)
        first = last


def sent_at(now: dt.datetime) -> dt.datetime:
    """When the demo plays the issue as sent: SENT_DAYS_AGO before now."""
    return (now - dt.timedelta(days=SENT_DAYS_AGO)).replace(microsecond=0)


def play_events(
    store: Store,
    issue: StoredIssue,
    envelope: Envelope,
    token: Signer,
    out: Path,
    templates: Path,
) -> tuple[Report, Path]:
    """Play the stream for everyone the issue was sent to; the report and its page."""
    now = store.clock()
    base = envelope.sender.base_url
    readers = [Reader(i, email, f"{base}/u/{token(i)}") for i, email in store.sent_to(issue.number)]
    play(store, issue.record, readers, base, sent_at(now), now)
    report = make_report(store, issue.number, now=now)
    page = out / f"report-issue-{issue.number}.html"
    write_private(page, report_html(report, templates=templates))
    return report, page


def play(
    store: Store,
    record: IssueRecord,
    readers: list[Reader],
    base_url: str,
    start: dt.datetime,
    now: dt.datetime,
) -> EventStream:
    """The stream applied as the webhook would apply it, the page unsubscribes as made there."""
    stream = synthetic_stream(record, readers, base_url=base_url, start=start)
    for post in stream.posts:
        apply_events(store, post, now, base_url=base_url)
    for reader, via, at in stream.web_unsubscribes:
        service.leave(store, reader.subscriber_id, Status.UNSUBSCRIBED, at, via=via)
    return stream
