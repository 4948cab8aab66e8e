"""Copy the curator benchmark's data into the project, trimmed to the fields the bench reads.

    .venv/bin/python bench/curators/trim.py [/work/shared/data/curators]

Writes `picks.jsonl` (the curator's weekly picks, as published) and `hf_daily.jsonl` (one
line per paper and day listed: day, id, title, summary, upvotes, comments, authors) beside
this script. The source folder holds `dair_weekly_picks.jsonl` and `hf_daily/YYYY-MM-DD.json`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = Path("/work/shared/data/curators")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SOURCE)
    source = parser.parse_args().source
    picks = (source / "dair_weekly_picks.jsonl").read_text(encoding="utf-8")
    (HERE / "picks.jsonl").write_text(picks, encoding="utf-8")
    lines = []
    for path in sorted((source / "hf_daily").glob("*.json")):
        for paper in json.loads(path.read_text(encoding="utf-8")):
            row = {
                "day": path.stem,
                "id": paper["id"],
                "title": paper["title"],
                "summary": paper.get("summary") or "",
                "upvotes": paper.get("upvotes"),
                "comments": paper.get("numComments"),
                "authors": paper.get("authors") or [],
            }
            lines.append(json.dumps(row, ensure_ascii=False))
    (HERE / "hf_daily.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(picks.splitlines())} weeks of picks, {len(lines)} listings")


if __name__ == "__main__":
    main()
