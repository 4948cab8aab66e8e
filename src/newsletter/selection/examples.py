"""What the models learn from: the editor's decisions in the store, and the labels shipped
with the package for the start, when there are none yet.

Every source ends as `Example`s with a week. The week of 2024-12-02 is the test week of the
project's evaluation: no example of it is ever produced here, whatever the source.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.domain.taxonomy import Section, section_named
from newsletter.feeds.text import clean_text
from newsletter.selection.learned import Example
from newsletter.selection.score import signal_values
from newsletter.selection.topics import TopicModel

TEST_WEEK = dt.date(2024, 12, 2)  # evaluated apart, never trained on
LABELS = Path(__file__).parent / "labels"
# The demo's recorded Hugging Face lists hold every labelled paper's text (read directly:
# the demo package itself builds issues, which use this module).
DEMO_LISTS = Path(__file__).parents[1] / "demo" / "feeds" / "hf-daily"
SHIPPED_WEIGHT = 0.5  # hand labels count half as much as the editor's own decisions


def without_test_week(examples: Iterable[Example]) -> list[Example]:
    return [e for e in examples if e.week != TEST_WEEK]


def in_test_week(day: dt.date | None) -> bool:
    """Whether a paper listed on `day` belongs to the test week, whatever week a decision
    about it was filed under (`newsletter learn --week` can file it under another)."""
    return day is not None and TEST_WEEK <= day < TEST_WEEK + dt.timedelta(days=7)


def shipped_examples(
    sections: Sequence[Section], *, skip_weeks: frozenset[dt.date] = frozenset()
) -> list[Example]:
    """The hand labels and the editor's published picks shipped in `labels/`, with their text
    from the bundled demo feeds; `skip_weeks` leaves weeks out (leave-one-week-out)."""
    papers = demo_papers()
    best = _day_best(papers.values())
    picks = {(row["week"], row["arxiv_id"]): row["section"] for row in _rows("editor_picks.jsonl")}
    picked_weeks = {week for week, _ in picks}
    topics = TopicModel()
    found: list[Example] = []
    for row in _rows("hand_labels.jsonl"):
        week = dt.date.fromisoformat(row["week"])
        paper = papers.get(row["arxiv_id"])
        if paper is None or week in skip_weeks or not row["is_llm"]:
            continue
        key = (row["week"], row["arxiv_id"])
        section = section_named(picks.get(key) or row["section"], sections)
        picked = (key in picks) if row["week"] in picked_weeks else None
        found.append(
            Example(
                paper.arxiv_id,
                paper.title,
                paper.abstract,
                week,
                section,
                picked,
                SHIPPED_WEIGHT,
                _signals(paper, best, topics),
                source="shipped labels",
            )
        )
    return without_test_week(found)


@dataclass(frozen=True, slots=True)
class DemoPaper:
    """A paper of the recorded Hugging Face lists, as first listed."""

    arxiv_id: str
    title: str
    abstract: str
    listed_on: dt.date
    upvotes: int | None
    comments: int | None


def demo_papers() -> dict[str, DemoPaper]:
    """Every paper of the bundled Hugging Face lists by arXiv id (a paper listed twice keeps
    its first day): the text the shipped labels are learned with."""
    found: dict[str, DemoPaper] = {}
    for day in sorted(DEMO_LISTS.glob("*.json")):
        for entry in json.loads(day.read_text(encoding="utf-8")):
            paper = entry["paper"]
            found.setdefault(
                paper["id"],
                DemoPaper(
                    paper["id"],
                    clean_text(paper["title"]),
                    clean_text(paper.get("summary")),
                    dt.date.fromisoformat(day.stem),
                    paper.get("upvotes"),
                    entry.get("numComments"),
                ),
            )
    return found


def _signals(paper: DemoPaper, best: Mapping[dt.date, int], topics: TopicModel) -> dict[str, float]:
    kind, _ = topics.kind(paper.title, paper.abstract)
    return signal_values(
        upvotes=paper.upvotes,
        day_best=best.get(paper.listed_on, 0),
        comments=paper.comments,
        listed=1.0,
        topic=topics.relevance(paper.title, paper.abstract).score,
        kind=kind.value,
    )


def _day_best(papers: Iterable[DemoPaper]) -> dict[dt.date, int]:
    best: dict[dt.date, int] = defaultdict(int)
    for paper in papers:
        best[paper.listed_on] = max(best[paper.listed_on], paper.upvotes or 0)
    return dict(best)


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (LABELS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
