"""Build time with a crowded week: 20,000 candidate papers in the store.

    .venv/bin/python bench/build.py [--papers 20000]

Fills a fresh SQLite store with papers made from the real late-2024 listings (real titles;
abstracts of seven real sentences drawn at random, so no two texts repeat) all listed in the week of 2024-11-25, then times
`build_issue` (load, rank, classify, pick, summarise, render, inline, save). Target: < 3 s.
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

from newsletter.config import TEMPLATES_DIR, EditorConfig
from newsletter.domain.papers import Listing
from newsletter.domain.week import Week
from newsletter.issue.build import build_issue
from newsletter.store import Store

DATA = (
    Path(__file__).resolve().parents[2] / "shared/data/hf_daily_papers_2024-11-20_2024-12-12.jsonl"
)
BUNDLED = Path(__file__).resolve().parents[1] / "src/newsletter/demo/feeds/hf-daily"


def real_rows() -> list[dict[str, object]]:
    if DATA.exists():
        return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    rows = []
    for path in sorted(BUNDLED.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            p = entry["paper"]
            rows.append(
                {
                    "title": p["title"],
                    "abstract": p.get("summary"),
                    "authors": [a["name"] for a in p["authors"]],
                }
            )
    return rows


def listings(n: int, week: Week) -> list[Listing]:
    """Distinct papers: each abstract mixes sentences of several real ones (no repeated text)."""
    rng = random.Random(11)
    rows = real_rows()
    sentences = [
        s.strip() + "." for r in rows for s in str(r.get("abstract") or "").split(". ") if s
    ]
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        abstract = " ".join(rng.sample(sentences, 7)) if row.get("abstract") else ""
        out.append(
            Listing(
                arxiv_id=f"2411.{i:05d}",
                title=f"{row['title']} ({i})",
                abstract=abstract,
                feed="hf-daily",
                authors=tuple(row.get("authors") or ()),  # type: ignore[arg-type]
                listed_on=week.start + dt.timedelta(days=i % 5),
                upvotes=rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 40]),
                comments=rng.choice([1, 1, 1, 2, 3]),
                on_hugging_face=True,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20000)
    args = parser.parse_args()
    week = Week.containing(dt.date(2024, 11, 25))
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/bench.db") as store:
        store.migrate()  # opening a store changes nothing: migrating is a step
        start = time.perf_counter()
        store.merge(listings(args.papers, week))
        filled = time.perf_counter() - start
        start = time.perf_counter()
        built = build_issue(store, EditorConfig(), week, templates=TEMPLATES_DIR)
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"papers in the week:  {args.papers} ({len(built.issue.candidates)} candidates after the topic filter)"
    )
    print(f"store filled in:     {filled:.2f} s")
    print(f"build time:          {elapsed:.2f} s (target < 3 s)")
    print(f"picks:               {len(built.issue.papers)} in {len(built.issue.sections)} sections")
    print(f"peak memory:         {peak:.0f} MB")


if __name__ == "__main__":
    main()
