"""The papers of the bundled demo feeds, the editor's picks and the hand labels.

The demo feeds (src/newsletter/demo/feeds/hf-daily/*.json) are recorded Hugging Face
daily_papers lists, one file per day from 2024-11-20 to 2024-12-12: 325 papers, 53 of
them without an abstract. Fixtures that need a paper's title or abstract join it from
here by arxiv_id rather than carrying their own copy. The benches import this module too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from newsletter.demo import DEMO_DIR
from tests.support.paths import FIXTURES

FEEDS = DEMO_DIR / "feeds" / "hf-daily"

PICKS = FIXTURES / "picks_week_2024-11-25.jsonl"
LABELS = FIXTURES / "labels_2024-11.jsonl"


@cache
def _papers() -> dict[str, dict[str, Any]]:
    papers: dict[str, dict[str, Any]] = {}
    for day in sorted(FEEDS.glob("*.json")):
        for entry in json.loads(day.read_text(encoding="utf-8")):
            paper = entry["paper"]
            papers.setdefault(  # a paper listed twice keeps its first day
                paper["id"],
                {
                    "arxiv_id": paper["id"],
                    "title": paper["title"],
                    "abstract": paper.get("summary"),
                    "hf_date": day.stem,
                },
            )
    return dict(sorted(papers.items()))


def demo_papers() -> list[dict[str, Any]]:
    """Every paper in the demo feeds, sorted by arxiv_id.

    Each is a fresh dict with arxiv_id, title, abstract (None when the feed has none) and
    hf_date (the day whose list it first appears in).
    """
    return [dict(p) for p in _papers().values()]


def with_papers(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` with the title and abstract of their arxiv_id's demo-feed paper added."""
    papers = _papers()
    rows = list(rows)
    missing = [r["arxiv_id"] for r in rows if r["arxiv_id"] not in papers]
    assert not missing, f"not in the demo feeds: {', '.join(missing)}"
    joined = []
    for row in rows:
        paper = papers[row["arxiv_id"]]
        joined.append({**row, "title": paper["title"], "abstract": paper["abstract"]})
    return joined


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def editor_picks() -> list[dict[str, Any]]:
    """The editor's six picks for the week of 2024-11-25, with their title and abstract."""
    return read_jsonl(PICKS)


def labels(path: Path = LABELS) -> list[dict[str, Any]]:
    """The hand labels, one dict per paper, with title and abstract joined from the feeds."""
    return with_papers(read_jsonl(path))
