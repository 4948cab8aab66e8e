"""The demo: the main job on bundled recorded data, with no network and no API keys.

The recorded Hugging Face lists of 2024-11-20 … 2024-12-12 and one arXiv RSS document
(`feeds/`, rebuilt from the shared data by make_demo.py) go into a demo store of their own;
the issue of the week of 2024-11-25 is built and sent through the outbox to a few readers
(through its subject-line test: subject_test.py), each step through the services, as the
CLI and the flows run them. Tests and benchmarks use
these constants too.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsletter.app import App, open_store
from newsletter.config import Settings
from newsletter.demo.engagement import add_readers, play_events, sent_at
from newsletter.demo.subject_test import send_tested
from newsletter.domain.papers import FeedReport
from newsletter.domain.week import Week
from newsletter.services import build, ingest, subscribe
from newsletter.services.build import Built
from newsletter.services.ingest import Ingested
from newsletter.services.report import Report
from newsletter.services.send import SendReport

DEMO_DIR = Path(__file__).parent
DEMO_CONFIG = DEMO_DIR / "newsletter.toml"
DEMO_RANGE = (dt.date(2024, 11, 18), dt.date(2024, 12, 12))
DEMO_WEEK = dt.date(2024, 11, 25)
DEMO_DATABASE = "sqlite:///data/demo.db"
DEMO_READERS = (
    ("ada@example.org", "Ada"),
    ("grace@example.org", "Grace"),
    ("alan@example.org", "Alan"),
    ("left@example.org", "Left Already"),  # unsubscribed: shows that leavers get nothing
)


@dataclass(frozen=True, slots=True)
class DemoRun:
    ingested: Ingested
    built: Built  # with its files
    sent: SendReport
    outbox: Path  # the folder of the issue's .eml files
    report: Report | None = None  # with synthetic events: how the issue did
    report_page: Path | None = None


def run_demo(
    settings: Settings,
    *,
    database_url: str = DEMO_DATABASE,
    out: Path = Path("out") / "demo",
    on_feed: Callable[[FeedReport], None] | None = None,
    events: int = 0,
) -> DemoRun:
    """Start a fresh demo store and outbox under `out`, ingest, build, and send to the readers;
    with `events`, also to that many synthetic readers, whose synthetic SendGrid events then
    make the issue's engagement report (out/report-issue-N.html)."""
    demo = settings.model_copy(
        update={"config": DEMO_CONFIG, "database_url": database_url, "outbox": out / "outbox"}
    )
    _reset(database_url, demo.outbox)
    with open_store(demo) as store:  # one store for every step
        app = App(demo, store=store)
        app.migrate()
        editor = app.editor()
        since, until = DEMO_RANGE
        fed = ingest.ingest(app, editor.feed_specs(), since=since, until=until, on_feed=on_feed)
        built = build.build(app, Week.containing(DEMO_WEEK), out=out / DEMO_WEEK.isoformat())
        for email, name in DEMO_READERS:
            subscribe.add(app, email, name=name, source="demo")
        subscribe.unsubscribe(app, DEMO_READERS[-1][0])
        now = store.clock()
        if events:
            add_readers(app, events, out, sent_at(now))
        number = built.issue.number
        sent, played = send_tested(app, built, now, events > 0)
        report, page = play_events(app, built, now, out, played) if events else (None, None)
    box = demo.outbox / f"issue-{number}"
    return DemoRun(fed, built, sent, box, report, page)


def _reset(database_url: str, outbox: Path) -> None:
    """The demo starts over each time: its own store file and outbox only."""
    if database_url.startswith("sqlite:///"):
        db = Path(database_url.removeprefix("sqlite:///"))
        for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)
    shutil.rmtree(outbox, ignore_errors=True)
