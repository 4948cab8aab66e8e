"""Papers and candidates for tests that need only a few of their fields."""

from __future__ import annotations

import datetime as dt

from newsletter.domain.issue import Candidate, ScorePart
from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import PaperKind, Section

MONDAY = dt.date(2024, 11, 25)


def paper(arxiv_id: str, title: str = "", abstract: str = "") -> Paper:
    return Paper(
        arxiv_id=arxiv_id,
        title=title or f"Paper {arxiv_id}",
        abstract=abstract,
        version=1,
        authors=(),
        categories=(),
        primary_category=None,
        submitted_at=None,
        listed_on=MONDAY,
        abs_url="",
        pdf_url="",
        hf_url=None,
    )


def candidate(
    arxiv_id: str, section: Section | str, score: float, parts: tuple[ScorePart, ...] = ()
) -> Candidate:
    """A candidate of that score in that section (a bare `Section` when given its name)."""
    placed = section if isinstance(section, Section) else Section(section, "")
    return Candidate(paper(arxiv_id), score, parts, placed, {}, PaperKind.METHOD)
