"""Rebuild the bundled demo feeds from the shared real data (run from the project root).

    python src/newsletter/demo/make_demo.py ../shared/data

Writes one Hugging Face `api/daily_papers` JSON document per listing date (the 2024 schema,
as the endpoint served it) and copies a recorded arXiv RSS document. The values are the
real ones; only the layout of the JSON is ours.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def hf_entry(row: dict[str, Any]) -> dict[str, Any]:
    paper = {
        "id": row["arxiv_id"],
        "authors": [{"name": name} for name in row.get("authors") or []],
        "publishedAt": row.get("published"),
        "title": row["title"],
        "summary": row.get("abstract"),
        "upvotes": row.get("hf_upvotes"),
    }
    return {
        "paper": {k: v for k, v in paper.items() if v is not None},
        "publishedAt": row.get("hf_listed_at"),
        "title": row["title"],
        "numComments": row.get("hf_num_comments"),
        "submittedBy": {"user": row.get("hf_submitted_by")} if row.get("hf_submitted_by") else None,
    }


def main(shared: Path) -> None:
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with (shared / "hf_daily_papers_2024-11-20_2024-12-12.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            by_day[row["hf_date"]].append(row)
    out = HERE / "feeds" / "hf-daily"
    out.mkdir(parents=True, exist_ok=True)
    for day, rows in sorted(by_day.items()):
        rows.sort(key=lambda r: (-(r.get("hf_upvotes") or 0), r["arxiv_id"]))
        doc = [hf_entry(r) for r in rows]
        (out / f"{day}.json").write_text(
            json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    arxiv = HERE / "feeds" / "arxiv"
    arxiv.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / "formats" / "arxiv_rss_cs.CL_2026-08-13.xml", arxiv / "cs.CL.xml")
    print(f"wrote {len(by_day)} daily lists to {out} and the arXiv RSS to {arxiv}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
