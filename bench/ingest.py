"""Ingest throughput: 10 generated arXiv-style RSS feeds of 2,000 entries each, served on
127.0.0.1, ingested into a fresh SQLite store. Prints entries per second and peak memory.

    .venv/bin/python bench/ingest.py [--feeds 10] [--entries 2000] [--processes N]

Target on the 2-core machine: at least 1,600 entries/s for the whole ingest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

from newsletter.domain.papers import FeedSpec, SourceKind
from newsletter.feeds.fetch import Fetcher
from newsletter.feeds.ingest import ingest
from newsletter.store import Store

WORDS = (
    "language model reasoning attention transformer benchmark training data scaling "
    "quantization retrieval agent alignment preference instruction token context long "
    "efficient inference evaluation multimodal vision policy reward sparse expert mixture"
).split()


def fake_feed(feed_no: int, entries: int, rng: random.Random) -> str:
    items = []
    for i in range(entries):
        arxiv_id = f"24{feed_no % 12 + 1:02d}.{feed_no % 10}{i:04d}"
        title = " ".join(rng.choices(WORDS, k=9)).capitalize()
        abstract = ". ".join(" ".join(rng.choices(WORDS, k=18)) for _ in range(7))
        kind = rng.choice(["new", "new", "new", "cross", "replace"])
        items.append(
            f"""<item><title>{escape(title)}</title><link>https://arxiv.org/abs/{arxiv_id}</link>
<description>arXiv:{arxiv_id}v1 Announce Type: {kind} 
Abstract: {escape(abstract)} $O(n^2)$ with \\emph{{emphasis}}.</description>
<guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v1</guid>
<category>cs.CL</category><category>cs.LG</category>
<pubDate>Mon, 25 Nov 2024 00:00:00 -0500</pubDate>
<arxiv:announce_type>{kind}</arxiv:announce_type>
<dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
<dc:creator>Ada Lovelace, Alan Turing, Grace Hopper</dc:creator></item>"""
        )
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
<channel><title>cs.CL updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CL</link>
<description>cs.CL updates</description><language>en-us</language>
<pubDate>Mon, 25 Nov 2024 00:00:00 -0500</pubDate>
{"".join(items)}
</channel></rss>"""


class QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {".xml": "application/rss+xml"}

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument(
        "--processes", type=int, default=None, help="parse workers (default: cores)"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in range(args.feeds):
            (root / f"feed{n}.xml").write_text(fake_feed(n, args.entries, rng), encoding="utf-8")
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=tmp))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        specs = [
            FeedSpec(name=f"feed{n}", kind=SourceKind.ARXIV_RSS, url=f"{base}/feed{n}.xml")
            for n in range(args.feeds)
        ]
        with Store(f"sqlite:///{root / 'bench.db'}") as store:
            store.migrate()  # opening a store changes nothing: migrating is a step
            day = dt.date(2024, 11, 25)
            start = time.perf_counter()
            reports = ingest(
                specs, store, since=day, until=day, fetcher=Fetcher(), processes=args.processes
            )
            elapsed = time.perf_counter() - start
            stored = store.count_papers()
        server.shutdown()
    for r in reports:
        if not r.ok or r.problems:
            print(f"  {r.feed}: {r.error or r.problems[:2]}")
    entries = sum(r.fetched for r in reports)
    failed = [r for r in reports if not r.ok]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"feeds:            {len(reports)} ({len(failed)} failed)")
    print(f"entries:          {entries} ({stored} papers stored)")
    print(f"wall time:        {elapsed:.2f} s")
    print(f"throughput:       {entries / elapsed:,.0f} entries/s (target >= 1,600)")
    print(f"peak memory:      {own:.0f} MB main process, {children:.0f} MB largest parse worker")


if __name__ == "__main__":
    main()
