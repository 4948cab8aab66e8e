"""Papers → Issue: the week's picks in numbered sections, with texts and promos (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from string import Formatter
from typing import Any

from newsletter.config.editor import TextsConfig
from newsletter.domain.issue import Candidate, Issue, IssuePaper, IssueSection, Promo
from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import Section
from newsletter.domain.week import Week
from newsletter.errors import ConfigError
from newsletter.issue.edits import NO_EDITS, Edits
from newsletter.issue.summarize import summarize
from newsletter.selection.score import ranking_key


def assemble(
    *,
    number: int,
    week: Week,
    picks: Sequence[Candidate],
    candidates: Sequence[Candidate],
    sections: Sequence[Section],
    texts: TextsConfig,
    promos: Sequence[Promo],
    edits: Edits = NO_EDITS,
    last_listing: dt.date | None = None,
    model: str = "",
) -> Issue:
    """Number the sections in taxonomy order (empty ones left out) and papers by score, or
    as the editor ordered them; the editor's note under the intro."""
    fields = text_fields(week, last_listing, len(picks))
    numbered: list[IssueSection] = []
    for name in section_order({c.section.name for c in picks}, sections):
        by_score = sorted((c for c in picks if c.section.name == name), key=ranking_key)
        papers = edits.arranged(name, by_score)
        number_s = len(numbered) + 1
        numbered.append(
            IssueSection(
                number=number_s,
                name=name,
                papers=tuple(_paper(c, f"{number_s}.{i}") for i, c in enumerate(papers, 1)),
            )
        )
    return Issue(
        number=number,
        week_start=week.start,
        week_end=week.end,
        title=fill(texts.title, fields),
        subtitle=fill(texts.subtitle, fields),
        intro=tuple(fill(p, fields) for p in texts.intro),
        toc_heading=fill(texts.toc_heading, fields),
        sections=tuple(numbered),
        promos=tuple(p for p in promos if edits.shows(p)),
        candidates=tuple(candidates),
        model=model,
        note=edits.note_paragraphs,
    )


def text_fields(week: Week, last_listing: dt.date | None, count: int) -> dict[str, Any]:
    """What the texts' {placeholders} stand for: the week's first and last listing day (not
    past its Sunday), its name, the number of papers."""
    return {
        "start": f"{week.start:%d/%m}",
        "end": f"{min(last_listing or week.end, week.end):%d/%m}",
        "week_name": week.name,
        "count": count,
    }


def fill(template: str, fields: Mapping[str, Any]) -> str:
    """Fill `{placeholders}`; an unknown one is a config error naming the known ones."""
    for _, name, _, _ in Formatter().parse(template):
        if name is not None and name not in fields:
            known = ", ".join("{" + k + "}" for k in fields)
            raise ConfigError(f"unknown placeholder {{{name}}} in {template!r} (known: {known})")
    return template.format_map(fields)


def section_order(used: Iterable[str], sections: Sequence[Section]) -> list[str]:
    """The sections in use, in taxonomy order (one no longer configured last, by name)."""
    rank = {s.name: i for i, s in enumerate(sections)}
    return sorted(set(used), key=lambda name: (rank.get(name, len(rank)), name))


def _paper(c: Candidate, number: str) -> IssuePaper:
    return issue_paper(c.paper, number, c.score, c.why)


def issue_paper(p: Paper, number: str, score: float, why: str) -> IssuePaper:
    """A paper as the issue shows it: its links, authors and the abstract laid out."""
    return IssuePaper(
        number=number,
        arxiv_id=p.arxiv_id,
        title=p.title,
        url=p.abs_url,
        pdf_url=p.pdf_url,
        hf_url=p.hf_url,
        authors=p.authors,
        summary=tuple(summarize(p.abstract or None, title=p.title)),
        score=score,
        why=why,
    )
