"""The demo's engagement: synthetic readers get the issue, a synthetic SendGrid event stream
goes through the same service the webhook calls, some of them vote on papers as the vote
page's button does, and the report page is written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from newsletter.app import App
from newsletter.demo.events import EventStream, Reader, synthetic_stream
from newsletter.demo.votes import cast_votes
from newsletter.domain.issue import IssueRecord
from newsletter.private_files import write_private
from newsletter.services import report as reporting
from newsletter.services import subject_test, subscribe
from newsletter.services.build import Built
from newsletter.services.report import Report

SENT_DAYS_AGO = 4  # the stream is played as if the issue went out this long ago


GROWTH_WEEKS = 7  # the synthetic readers joined over this many weeks before the send


def add_readers(app: App, count: int, folder: Path, sent: dt.datetime) -> None:
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
        subscribe.import_file(app, path, source="demo", now=when)
        first = last


def sent_at(now: dt.datetime) -> dt.datetime:
    """When the demo plays the issue as sent: SENT_DAYS_AGO before now."""
    return (now - dt.timedelta(days=SENT_DAYS_AGO)).replace(microsecond=0)


def play_events(
    app: App, built: Built, now: dt.datetime, out: Path, played: frozenset[int] = frozenset()
) -> tuple[Report, Path]:
    """Play the stream for everyone the issue was sent to (but those `played` already: a
    subject test's sample); the report and its page."""
    number = built.issue.number
    readers = [r for r in readers_of(app, number) if r.subscriber_id not in played]
    seed = {"seed": 15} if played else {}  # a stream of its own: other event ids
    play(
        app,
        built.rendered.record,
        readers,
        app.sender("outbox")[0].base_url,
        sent_at(now),
        now,
        **seed,
    )
    cast_votes(app, built.rendered.record, [r.subscriber_id for r in readers])
    report = reporting.report(app, number, now=now)
    return report, reporting.write_page(app, report, out / f"report-issue-{number}.html")


def readers_of(app: App, number: int) -> list[Reader]:
    """Everyone issue `number` was sent to, with their unsubscribe links and test variants."""
    sender, token = app.sender("outbox")
    base = sender.base_url
    return [
        Reader(i, e, f"{base}/u/{token(i)}", v) for i, e, v in subject_test.readers(app, number)
    ]


def play(
    app: App,
    record: IssueRecord,
    readers: list[Reader],
    base_url: str,
    start: dt.datetime,
    now: dt.datetime,
    **options: Any,
) -> EventStream:
    """The stream applied as the webhook would apply it, the page unsubscribes as made there;
    `options` go to synthetic_stream (seed, appeal)."""
    stream = synthetic_stream(record, readers, base_url=base_url, start=start, **options)
    for post in stream.posts:
        reporting.record_events(app, post, now, base_url=base_url)
    for reader, via, at in stream.web_unsubscribes:
        subscribe.leave(app, reader.subscriber_id, at, via=via)
    return stream
