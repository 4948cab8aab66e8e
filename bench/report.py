"""Report time for a big issue: one issue sent to N subscribers, with M provider events.

    .venv/bin/python bench/report.py [--subscribers 100000] [--events 1000000] [--database-url URL]

Fills a fresh store (SQLite by default; a PostgreSQL URL works too) with the subscribers,
their deliveries and the events (processed and delivered for everyone who got it; the rest
opens, machine opens, clicks on papers, promos and the other links, bounces, unsubscribes,
in realistic shares), then times `make_report` (every count the report shows), the page
with its charts, and folding the issue's events into totals. It also times the webhook's
path (`apply_events`) on posts of 1,000 events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, update

from newsletter.domain.events import BOUNCE_HARD, EmailEvent, EventKind, LinkKind, Target
from newsletter.domain.issue import IssueRecord
from newsletter.engagement.ingest import apply_events
from newsletter.engagement.page import report_html
from newsletter.engagement.report import make_report
from newsletter.engagement.retention import fold_old_events
from newsletter.store import Store
from newsletter.store.schema import deliveries, subscribers

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "2024-11-25" / "issue.json"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
SENT = NOW - dt.timedelta(days=3)
CHUNK = 50_000


def fill_subscribers(store: Store, count: int) -> None:
    joined = SENT - dt.timedelta(days=30)
    for first in range(1, count + 1, CHUNK):
        rows = [
            {
                "id": n,
                "email": f"reader{n}@example.org",
                "email_key": f"reader{n}@example.org",
                "name": None,
                "status": "active",
                "source": "bench",
                "attributes": {},
                "created_at": joined,
                "updated_at": joined,
                "confirmed_at": joined,
            }
            for n in range(first, min(first + CHUNK, count + 1))
        ]
        with store.engine.begin() as conn:
            conn.execute(insert(subscribers), rows)


def sent_issue(store: Store) -> IssueRecord:
    record = IssueRecord.from_json(json.loads(GOLDEN.read_text(encoding="utf-8")))
    store.save_draft(
        number=1,
        week_start=record.week_start,
        title=record.title,
        record=record,
        html="",
        text="",
        markdown="",
    )
    store.enqueue(1)
    with store.engine.begin() as conn:
        conn.execute(update(deliveries).values(status="sent"))
    store.finish_issue(1)
    return record


def targets(record: IssueRecord) -> list[Target]:
    found = [Target(LinkKind.PAPER, p.arxiv_id, s.name) for s, p in record.picks for _ in range(3)]
    found += [Target(LinkKind.PROMO, name) for name in record.promo_links]
    return found + [Target(LinkKind.VIEW), Target(LinkKind.UNSUBSCRIBE), Target(LinkKind.OTHER)]


def events(record: IssueRecord, readers: int, total: int) -> list[EmailEvent]:
    """Processed and delivered for everyone; the rest spread over the kinds as in real traffic."""
    rng, links = random.Random(5), targets(record)
    found = []
    for who in range(1, readers + 1):
        found.append(EmailEvent(f"p{who}", EventKind.PROCESSED, SENT, 1, who))
        found.append(
            EmailEvent(f"d{who}", EventKind.DELIVERED, SENT + dt.timedelta(minutes=1), 1, who)
        )
    for n in range(total - len(found)):
        who, roll = rng.randrange(1, readers + 1), rng.random()
        at = SENT + dt.timedelta(seconds=int(rng.expovariate(1 / 36000)))
        if roll < 0.62:
            found.append(EmailEvent(f"o{n}", EventKind.OPEN, at, 1, who))
        elif roll < 0.72:
            found.append(EmailEvent(f"m{n}", EventKind.OPEN, at, 1, who, machine=True))
        elif roll < 0.98:
            target = rng.choice(links)
            found.append(EmailEvent(f"c{n}", EventKind.CLICK, at, 1, who, target=target))
        elif roll < 0.99:
            found.append(EmailEvent(f"b{n}", EventKind.BOUNCE, at, 1, who, detail=BOUNCE_HARD))
        else:
            found.append(EmailEvent(f"x{n}", EventKind.DEFERRED, at, 1, who))
    return found


def timed(what: str, call: object) -> object:
    start = time.perf_counter()
    result = call()  # type: ignore[operator]
    print(f"{what:<34}{time.perf_counter() - start:8.2f} s")
    return result


def webhook_rate(store: Store, readers: int) -> float:
    """Events per second through apply_events, as the webhook runs it (posts of 1,000)."""
    rng, posts = random.Random(9), []
    for post in range(20):
        posts.append(
            [
                {
                    "event": "open",
                    "email": f"reader{(who := rng.randrange(1, readers + 1))}@example.org",
                    "issue": "1",
                    "subscriber": str(who),
                    "timestamp": int(SENT.timestamp()) + post * 60,
                    "sg_event_id": f"bench-{post}-{n}",
                }
                for n in range(1000)
            ]
        )
    start = time.perf_counter()
    for post in posts:
        apply_events(store, post, NOW)
    return 20_000 / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        with Store(url, clock=lambda: SENT) as store:
            store.migrate()
            timed("subscribers and deliveries", lambda: fill_subscribers(store, args.subscribers))
            record = sent_issue(store)
            made = events(record, args.subscribers, args.events)
            for first in range(0, len(made), CHUNK):
                store.add_events(made[first : first + CHUNK])
            print(f"{'events stored':<34}{store.count_events():>10,}")
        with Store(url) as store:
            report = timed("make_report (every count)", lambda: make_report(store, 1))
            timed("the page with its charts", lambda: report_html(report))  # type: ignore[arg-type]
            rate = webhook_rate(store, args.subscribers)
            print(f"{'webhook path (apply_events)':<34}{rate:8,.0f} events/s")
            later = NOW + dt.timedelta(days=200)
            timed(
                "fold the issue into totals",
                lambda: fold_old_events(store, dt.timedelta(days=180), later),
            )
            timed("make_report (folded)", lambda: make_report(store, 1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':<34}{peak:8.0f} MB")


if __name__ == "__main__":
    main()
