"""Subscriber import: a generated CSV of 100,000 rows into a fresh SQLite store.

    .venv/bin/python bench/import_csv.py --rows 100000

Prints rows per second and the transactions it took.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsletter.store import Store  # noqa: E402
from newsletter.subscribers.import_csv import import_csv  # noqa: E402

NOW = dt.datetime(2024, 12, 2, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.csv"
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["Email", "First Name", "Last Name", "Country"])
            writer.writerows(
                [f"reader{n}@example{n % 97}.com", "Reader", str(n), "NL"] for n in range(args.rows)
            )
        batches = 0

        def count(_: object) -> None:
            nonlocal batches
            batches += 1

        with Store(f"sqlite:///{tmp}/bench.db") as store:
            store.migrate()
            started = time.perf_counter()
            report = import_csv(store, path, now=NOW, on_batch=count)
            elapsed = time.perf_counter() - started
    print(
        f"rows:        {args.rows:,} ({report.imported:,} imported, {report.rejected:,} rejected)"
    )
    print(f"time:        {elapsed:.1f} s in {batches} transactions")
    print(f"throughput:  {args.rows / elapsed:,.0f} rows/s")


if __name__ == "__main__":
    main()
