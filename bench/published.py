"""Reading a published issue back (`newsletter learn`): lines built to make a regular
expression backtrack, timed.

    .venv/bin/python bench/published.py --length 40000

Prints seconds per hostile line; each should stay near a millisecond (a line of 40,000 "["
took 4.7 s with the old Markdown-link pattern, 7.4 s on a busy machine).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsletter.selection.published import read_published  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=40_000, help="characters per line")
    args = parser.parse_args()
    n = args.length
    lines = {
        '"[" repeated': "[" * n,
        '"[](" repeated': "[](" * (n // 3),
        '"[a](" repeated': "[a](" * (n // 4),
        '"1." and digits': "1." + "1" * n,
        "an <a> flood (HTML)": "<p>" + "<a href=x>" * (n // 10) + "</p>",
    }
    for name, line in lines.items():
        started = time.perf_counter()
        read_published(f"1. LLM Agents\n1.1. {line}\n")
        print(f"{name:>24}: {time.perf_counter() - started:.4f} s for {len(line):,} characters")


if __name__ == "__main__":
    main()
