"""Send throughput: one issue to N subscribers through the sendgrid backend, to a local
SendGrid-compatible server running in its own process.

    .venv/bin/python bench/send.py --subscribers 1000000

Prints recipients per second, requests, and peak memory of the sending process.
Targets on the 2-core machine: >= 20,000 recipients/s, peak memory < 300 MB and flat as the
list grows (subscribers are streamed from the store in batches, never held whole).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT))  # the test server lives in tests/

from newsletter.delivery.backends.sendgrid import SendGridBackend  # noqa: E402
from newsletter.delivery.links import make_token  # noqa: E402
from newsletter.delivery.message import Envelope, Sender  # noqa: E402
from newsletter.delivery.send import send_issue  # noqa: E402
from newsletter.domain.issue import IssueRecord  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.store.schema import subscribers  # noqa: E402

NOW = dt.datetime(2024, 12, 2, tzinfo=dt.UTC)
SECRET = "bench-secret"


def serve(conn: Connection) -> None:
    """The server process: report the URL, serve until asked, then report what it took."""
    from tests.support.sendgrid_server import SendGridServer

    with SendGridServer(validate="sample", keep_bodies=False) as server:
        conn.send(server.url)
        conn.recv()
        conn.send((server.recipient_count, server.requests.get("/v3/mail/send", 0)))


def fill(store: Store, count: int) -> float:
    start = time.perf_counter()
    chunk = 50_000
    for first in range(0, count, chunk):
        rows = [
            {
                "email": f"reader{n}@example.org",
                "email_key": f"reader{n}@example.org",
                "name": f"Reader {n}",
                "status": "active",
                "source": "bench",
                "attributes": {},
                "created_at": NOW,
                "updated_at": NOW,
                "confirmed_at": NOW,
            }
            for n in range(first, min(first + chunk, count))
        ]
        with store.engine.begin() as conn:
            conn.execute(insert(subscribers), rows)
    return time.perf_counter() - start


def issue(store: Store) -> Envelope:
    html = (ROOT / "tests" / "golden" / "2024-11-25" / "issue.html").read_text(encoding="utf-8")
    text = (ROOT / "tests" / "golden" / "2024-11-25" / "issue.txt").read_text(encoding="utf-8")
    week = dt.date(2024, 11, 25)
    record = IssueRecord(
        number=1,
        title="Bench issue",
        subtitle="",
        week_start=week,
        week_end=week + dt.timedelta(days=6),
        intro=(),
        sections=(),
        promos=(),
        candidates=(),
    )
    store.save_draft(
        number=1,
        week_start=week,
        title="Bench issue",
        record=record,
        html=html,
        text=text,
        markdown="",
    )
    sender = Sender.parse("Bench <bench@news.example>", "https://news.example", SECRET)
    return Envelope.for_issue(1, "Bench issue", html, text, sender)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")  # a clean server process, not a copy of this one
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(theirs,), daemon=True)
    server.start()
    url = ours.recv()
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/bench.db") as store:
        store.migrate()  # opening a store changes nothing: migrating is a step
        filled = fill(store, args.subscribers)
        envelope = issue(store)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        backend = SendGridBackend("SG.test-key", host=url)
        start = time.perf_counter()
        report = send_issue(store, envelope, backend, lambda sid: make_token(sid, SECRET))
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ours.send("stop")
    received, requests = ours.recv()
    server.join(5)
    print(f"subscribers:      {args.subscribers:,} (store filled in {filled:.1f} s)")
    print(
        f"sent:             {report.sent:,} (server received {received:,} in {requests:,} requests)"
    )
    print(f"send time:        {elapsed:.1f} s")
    print(f"throughput:       {report.sent / elapsed:,.0f} recipients/s (target >= 20,000)")
    print(
        f"peak memory:      {peak:.0f} MB sending process ({before:.0f} MB before the send; target < 300)"
    )


if __name__ == "__main__":
    main()
