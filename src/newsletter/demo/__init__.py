"""The demo: the main job on bundled recorded data, with no network and no API keys.

The recorded Hugging Face lists of 2024-11-20 … 2024-12-12 and one arXiv RSS document
(`feeds/`, rebuilt from the shared data by make_demo.py) go into a demo store of their own;
the issue of the week of 2024-11-25 is built and sent through the outbox to a few readers.
Tests and benchmarks use these constants too.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newsletter import app
from newsletter.config import Settings, load_editor_config
from newsletter.delivery.send import SendReport, send_issue
from newsletter.demo.engagement import add_readers, play_events, sent_at
from newsletter.domain.papers import FeedReport
from newsletter.domain.week import Week
from newsletter.engagement.interest import section_history
from newsletter.engagement.report import Report
from newsletter.feeds.ingest import ingest
from newsletter.issue.build import Built, build_week
from newsletter.subscribers import service

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
    feeds: list[FeedReport]
    papers: int
    store: str  # the store's URL, password hidden
    built: Built
    files: dict[str, Path]
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
    app.migrate(demo)
    editor = load_editor_config(DEMO_CONFIG)
    with app.open_store(demo) as store:
        with app.fetcher(demo) as fetch:
            reports = ingest(
                editor.feed_specs(),
                store,
                since=DEMO_RANGE[0],
                until=DEMO_RANGE[1],
                fetcher=fetch,
                on_feed=on_feed,
            )
        built, files = build_week(
            store,
            editor,
            Week.containing(DEMO_WEEK),
            templates=demo.templates,
            config_dir=DEMO_DIR,
            out=out / DEMO_WEEK.isoformat(),
            history=section_history(store),
        )
        for email, name in DEMO_READERS:
            service.add(store, email, name=name, source="demo")
        service.unsubscribe(store, DEMO_READERS[-1][0])
        if events:
            add_readers(store, events, out, sent_at(store.clock()))
        stored = store.get_issue(built.issue.number)
        assert stored is not None  # build_week saved it
        with app.sending(demo, stored, "outbox") as (envelope, backend, token):
            sent = send_issue(store, envelope, backend, token)
        report, page = None, None
        if events:
            report, page = play_events(store, stored, envelope, token, out, demo.templates)
        papers = store.count_papers()
    box = demo.outbox / f"issue-{stored.number}"
    return DemoRun(reports, papers, store.safe_url, built, files, sent, box, report, page)


def _reset(database_url: str, outbox: Path) -> None:
    """The demo starts over each time: its own store file and outbox only."""
    if database_url.startswith("sqlite:///"):
        db = Path(database_url.removeprefix("sqlite:///"))
        for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)
    shutil.rmtree(outbox, ignore_errors=True)
