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
from dataclasses import replace
from pathlib import Path
from typing import Any

from newsletter.config.editor import WeightsConfig
from newsletter.domain.papers import AnnounceType, Paper, Signal
from newsletter.domain.taxonomy import Section, section_named
from newsletter.feeds.text import clean_authors, clean_text
from newsletter.selection.learned import Example
from newsletter.selection.prior import Prior, shipped_prior
from newsletter.selection.prior_text import PriorReader
from newsletter.selection.score import rule_score, signal_values
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
    sections: Sequence[Section],
    *,
    skip_weeks: frozenset[dt.date] = frozenset(),
    weights: WeightsConfig | None = None,
    prior: Prior | None = None,
) -> list[Example]:
    """The hand labels and the editor's published picks shipped in `labels/`, with their text
    from the bundled demo feeds; `skip_weeks` leaves weeks out (leave-one-week-out). The
    judged ones are `ready` for the editor's correction (rule score by `weights`)."""
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
    return ready(without_test_week(found), papers, weights or WeightsConfig(), prior)


def ready(
    examples: Sequence[Example],
    papers: Mapping[str, Paper],
    weights: WeightsConfig,
    prior: Prior | None = None,
) -> list[Example]:
    """The examples, the judged ones (picked or left out) ready for the editor's correction:
    the rule score among their signals, and the prior's log-odds (the shipped prior's by
    default) relative to the week's other judged papers, as a build scores its candidates."""
    prior = prior or shipped_prior()
    by_week: dict[dt.date | None, list[int]] = defaultdict(list)
    for n, e in enumerate(examples):
        if e.picked is not None and e.arxiv_id in papers:
            by_week[e.week].append(n)
    found = list(examples)
    reader = PriorReader()
    for rows in by_week.values():
        week = [papers[examples[n].arxiv_id] for n in rows]
        for n, scored in zip(rows, prior.score(week, reader.read_all(week)), strict=True):
            e = examples[n]
            signals = {**e.signals, "rules": rule_score(e.signals, weights)}
            found[n] = replace(e, signals=signals, prior=scored.logit)
    return found


def demo_papers() -> dict[str, Paper]:
    """Every paper of the bundled Hugging Face lists by arXiv id (a paper listed twice keeps
    its first day): the text the shipped labels are learned with."""
    found: dict[str, Paper] = {}
    for day in sorted(DEMO_LISTS.glob("*.json")):
        listed = dt.date.fromisoformat(day.stem)
        for entry in json.loads(day.read_text(encoding="utf-8")):
            paper = entry["paper"]
            if paper["id"] not in found:
                found[paper["id"]] = listed_paper(
                    paper["id"],
                    paper["title"],
                    paper.get("summary"),
                    [a.get("name", "") for a in paper.get("authors") or ()],
                    listed,
                    paper.get("upvotes"),
                    entry.get("numComments"),
                )
    return found


def listed_paper(
    arxiv_id: str,
    title: str,
    summary: str | None,
    authors: Iterable[str],
    day: dt.date,
    upvotes: int | None,
    comments: int | None,
) -> Paper:
    """A paper as a Hugging Face Daily Papers list shows it on `day`, its text cleaned as
    ingest cleans it: for the shipped labels and the benches' curator weeks."""
    signal = Signal("hf-daily", day, AnnounceType.NEW, upvotes, comments, on_hugging_face=True)
    return Paper(
        arxiv_id=arxiv_id,
        title=clean_text(title),
        abstract=clean_text(summary),
        version=None,
        authors=clean_authors(authors),
        categories=(),
        primary_category=None,
        submitted_at=None,
        listed_on=day,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        hf_url=f"https://huggingface.co/papers/{arxiv_id}",
        signals=(signal,),
    )


def _signals(
    paper: Paper, best: Mapping[dt.date | None, int], topics: TopicModel
) -> dict[str, float]:
    kind, _ = topics.kind(paper.title, paper.abstract)
    return signal_values(
        upvotes=paper.upvotes,
        day_best=best.get(paper.listed_on, 0),
        comments=paper.comments,
        listed=1.0,
        topic=topics.relevance(paper.title, paper.abstract).score,
        kind=kind.value,
    )


def _day_best(papers: Iterable[Paper]) -> dict[dt.date | None, int]:
    best: dict[dt.date | None, int] = defaultdict(int)
    for paper in papers:
        best[paper.listed_on] = max(best[paper.listed_on], paper.upvotes or 0)
    return dict(best)


def _rows(name: str) -> list[dict[str, Any]]:
    lines = (LABELS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
