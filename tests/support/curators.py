"""The curator benchmark's weeks: each week's Hugging Face list as papers, and the picks in it.

bench/curators/ (copied by bench/curators/trim.py from the shared data) holds a public
curator's weekly picks (DAIR.AI "ML Papers of the Week", 23 weeks from 2024-05-27) and the
Hugging Face Daily Papers list of every day of those weeks. bench/editorial.py --weeks,
bench/train_prior.py and the prior's tests read the weeks through `curator_weeks()`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from newsletter.domain.papers import Paper
from newsletter.selection.examples import listed_paper
from tests.support.paths import ROOT

DATA = ROOT / "bench" / "curators"


@dataclass(frozen=True, slots=True)
class CuratorWeek:
    start: dt.date
    papers: list[Paper]  # the week's Hugging Face list, Monday to Sunday by listing day
    picks: set[str]  # the curator's picks that are in the list
    all_picks: int  # the curator's picks that week, in the list or not


def curator_weeks(folder: Path = DATA) -> list[CuratorWeek]:
    """Every week of the curator data, oldest first."""
    by_day: dict[dt.date, list[Paper]] = {}
    for line in (folder / "hf_daily.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        day = dt.date.fromisoformat(row["day"])
        by_day.setdefault(day, []).append(_paper(row, day))
    weeks = []
    for line in (folder / "picks.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        start = dt.date.fromisoformat(row["week_start"])
        papers: dict[str, Paper] = {}
        for n in range(7):
            for paper in by_day.get(start + dt.timedelta(days=n), []):
                papers.setdefault(paper.arxiv_id, paper)  # a paper keeps its first day
        ids = {p["arxiv_id"] for p in row["picks"] if p["arxiv_id"]}
        weeks.append(
            CuratorWeek(start, list(papers.values()), ids & set(papers), len(row["picks"]))
        )
    return weeks


def _paper(row: dict[str, object], day: dt.date) -> Paper:
    authors = row["authors"] if isinstance(row["authors"], list) else []
    return listed_paper(
        str(row["id"]),
        str(row["title"]),
        str(row["summary"] or ""),
        (str(a) for a in authors),
        day,
        _int(row["upvotes"]),
        _int(row["comments"]),
    )


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
