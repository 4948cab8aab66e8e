"""Send throughput: one issue to every subscriber through the sendgrid backend (the official
client), to a local SendGrid-compatible server in its own process, at each concurrency.

    .venv/bin/python bench/send.py --latency 0.15           # a round trip over the internet
    .venv/bin/python bench/send.py --latency 0              # the server answers at once

    .venv/bin/python bench/send.py --signing                # what signing a reader's links costs

The server waits `--latency` seconds before answering every request. For each N in
`--concurrency` (default 1,2,4,8,16) a fresh process sends a new issue to the whole list with
N requests in flight; the table gives recipients/s, the sending process's CPU time per 1,000
recipients (its own cost, which the server sharing the machine does not blur), requests and
its peak memory. Targets on the 2-core machine: >= 40,000 recipients/s at 150 ms with the default N,
peak memory < 300 MB whatever N (subscribers are streamed in batches, never held whole).
The issue is the demo week's (tests/golden): twelve papers, each with its vote links.

`--signing` times, per reader, what a send signs: the unsubscribe link, and the vote links of
twelve papers as sent (one HMAC and one SHAKE-256 call a reader) beside a token per link.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT))  # the test server lives in tests/

from newsletter.delivery.backends.sendgrid import SendGridBackend  # noqa: E402
from newsletter.delivery.message import Envelope, Sender  # noqa: E402
from newsletter.delivery.send import send_issue  # noqa: E402
from newsletter.domain.issue import IssueRecord  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.store.schema import subscribers  # noqa: E402
from newsletter.tokens import Purpose, TokenSigner, VoteSigner  # noqa: E402

NOW = dt.datetime(2024, 12, 2, tzinfo=dt.UTC)
SECRET = "bench-secret"


def serve(conn: Connection, latency: float) -> None:
    """The server process: report the URL, then answer "count" with what it took so far."""
    from tests.support.sendgrid_server import SendGridServer

    with SendGridServer(validate="sample", keep_bodies=False, latency=latency) as server:
        conn.send(server.url)
        while conn.recv() == "count":
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


def issue(store: Store, number: int) -> Envelope:
    html = (ROOT / "tests" / "golden" / "2024-11-25" / "issue.html").read_text(encoding="utf-8")
    text = (ROOT / "tests" / "golden" / "2024-11-25" / "issue.txt").read_text(encoding="utf-8")
    week = dt.date(2024, 11, 25) + dt.timedelta(weeks=number)
    record = IssueRecord(
        number=number,
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
        number=number,
        week_start=week,
        title="Bench issue",
        record=record,
        html=html,
        text=text,
        markdown="",
    )
    sender = Sender.parse("Bench <bench@news.example>", "https://news.example", SECRET)
    return Envelope.for_issue(number, "Bench issue", html, text, sender)


def send_once(database: str, url: str, number: int, concurrency: int, conn: Connection) -> None:
    """One send in its own process, so that its peak memory is its own."""
    with Store(database) as store:
        envelope = issue(store, number)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        backend = SendGridBackend("SG.test-key", host=url, concurrency=concurrency)
        cpu, start = _cpu(), time.perf_counter()
        report = send_issue(store, envelope, backend, TokenSigner(SECRET))
        elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
        backend.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conn.send((report.sent, report.requests, elapsed, cpu, before, peak))


def _cpu() -> float:
    """The CPU seconds this process (all its threads) has used: the sender's own cost, which
    the server sharing the machine does not blur as it does the rate."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def signing(readers: int = 100_000, papers: int = 12) -> None:
    """Microseconds per reader for each way of signing their links (the best of five)."""
    unsubscribe, votes, per_link = (
        TokenSigner(SECRET),
        VoteSigner(SECRET),
        TokenSigner(SECRET, Purpose.VOTE),
    )
    ways: dict[str, Callable[[int], object]] = {
        "unsubscribe link": lambda r: unsubscribe(r),
        f"vote links, {papers} papers, as sent": lambda r: votes.tags(r, 7, papers),
        f"vote links, {papers} papers, a token per link": lambda r: [
            per_link.token(f"{r}.7.{n}") for n in range(1, papers + 1)
        ],
    }
    for name, sign in ways.items():
        best = min(_timed(sign, readers) for _ in range(5))
        print(f"{name}: {best / readers * 1e6:.1f} µs a reader")


def _timed(sign: Callable[[int], object], readers: int) -> float:
    start = time.perf_counter()
    for reader in range(1_000_000, 1_000_000 + readers):
        sign(reader)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--concurrency", default="1,2,4,8,16", help="N values, comma-separated")
    parser.add_argument("--signing", action="store_true", help="time link signing, then stop")
    args = parser.parse_args()
    if args.signing:
        signing()
        return
    levels = [int(n) for n in args.concurrency.split(",")]
    ctx = mp.get_context("spawn")  # clean processes, not copies of this one
    ours, theirs = ctx.Pipe()
    server = ctx.Process(target=serve, args=(theirs, args.latency), daemon=True)
    server.start()
    url = ours.recv()
    print(
        f"{args.subscribers:,} subscribers; the server answers after {args.latency * 1000:.0f} ms"
    )
    print("| N | recipients/s | send time | sender CPU per 1,000 | requests | peak memory |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{tmp}/bench.db"
        with Store(database) as store:
            store.migrate()  # opening a store changes nothing: migrating is a step
            fill(store, args.subscribers)
        for number, n in enumerate(levels, start=1):
            mine, child = ctx.Pipe()
            sender = ctx.Process(target=send_once, args=(database, url, number, n, child))
            sender.start()
            sent, requests, elapsed, cpu, before, peak = mine.recv()
            sender.join()
            ours.send("count")
            received, _ = ours.recv()
            check = "" if received == sent * number else f" (server: {received:,} in all)"
            print(
                f"| {n} | {sent / elapsed:,.0f} | {elapsed:.1f} s | {cpu / sent * 1e6:.1f} ms "
                f"| {requests:,} "
                f"| {peak:.0f} MB ({before:.0f} MB before){check} |"
            )
    ours.send("stop")
    server.join(5)


if __name__ == "__main__":
    main()
