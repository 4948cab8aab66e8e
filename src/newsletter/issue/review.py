"""A round of the editor's edits on a stored draft: which of them can apply (the others
refused, each with why), and the issue they make, with nothing else changed.

No backfill and no push-out: a removal leaves the issue one shorter, an added paper goes
into the section chosen for it (the classifier's guess when none was), at the end of it; a
moved one goes to the end of its new section; `order` puts papers first in a section. The
issue keeps its texts, promos and candidates; only the count in its texts follows the picks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from newsletter.config.editor import TextsConfig
from newsletter.domain.issue import Issue, IssuePaper, IssueRecord, IssueSection, Promo
from newsletter.domain.review import Refusal
from newsletter.domain.taxonomy import Section, find_section
from newsletter.domain.week import Week
from newsletter.issue.assemble import fill, section_order, text_fields
from newsletter.issue.edits import Edits


@dataclass(frozen=True, slots=True)
class Pick:
    """A paper of a stored draft, in its section (what `Edits.applied` moves around)."""

    paper: IssuePaper
    section: Section


def checked(
    edits: Edits, record: IssueRecord, sections: Sequence[Section]
) -> tuple[Edits, tuple[Refusal, ...]]:
    """The edits that can apply to this draft, sections named as configured; every other
    one refused with why: a paper that is not a candidate of the week, one taken out that
    is not in the issue, a section that is not configured, an order naming papers elsewhere."""
    have = {p.arxiv_id: s.name for s, p in record.picks}
    known = {c.arxiv_id for c in record.candidates} | set(have)
    refused: list[Refusal] = []
    names = ", ".join(s.name for s in sections)
    moves: dict[str, str] = {}
    for arxiv_id, name in edits.move:
        section = find_section(name, sections)
        if section is None:
            refused.append(Refusal(f"{arxiv_id} to {name}", f"no section named {name!r} ({names})"))
        elif arxiv_id not in known:
            refused.append(Refusal(arxiv_id, NOT_A_CANDIDATE))
        elif have.get(arxiv_id) == section.name:
            refused.append(Refusal(arxiv_id, f"already in {section.name}"))
        else:
            moves[arxiv_id] = section.name
    moved_here = {i for i, _ in edits.move}
    add = []
    for arxiv_id in (i for i in edits.add if i not in moved_here):
        if arxiv_id in have:
            refused.append(Refusal(arxiv_id, "already in the issue"))
        elif arxiv_id not in known:
            refused.append(Refusal(arxiv_id, NOT_A_CANDIDATE))
        else:
            add.append(arxiv_id)
    remove = []
    for arxiv_id in edits.remove:
        if arxiv_id in have:
            remove.append(arxiv_id)
        else:
            refused.append(Refusal(arxiv_id, "not in the issue"))
    after = {i: s for i, s in have.items() if i not in remove}
    after |= {i: _guess(record, i) for i in add} | moves
    order: dict[str, tuple[str, ...]] = {}
    for name, ids in edits.order:
        section = find_section(name, sections)
        if section is None:
            refused.append(Refusal(name, f"no section named {name!r} ({names})"))
            continue
        elsewhere = [i for i in ids if after.get(i) != section.name]
        refused += [Refusal(i, f"not in {section.name}") for i in elsewhere]
        order[section.name] = tuple(i for i in ids if i not in elsewhere)
    fine = Edits(
        add=tuple(add),
        remove=tuple(remove),
        move=tuple(moves.items()),
        order=tuple((s, ids) for s, ids in order.items() if ids),
        note=edits.note,
        skip_promos=tuple(p for p in edits.skip_promos if p in record.promos),
    )
    refused += [
        Refusal(p, "no such promo in this issue")
        for p in edits.skip_promos
        if p not in record.promos
    ]
    return fine, tuple(refused)


NOT_A_CANDIDATE = "not a candidate of this week (search the candidates by title or id)"


def incoming(edits: Edits, record: IssueRecord) -> tuple[str, ...]:
    """The papers the edits bring into the issue (added, or moved in from the candidates)."""
    have = {p.arxiv_id for _, p in record.picks}
    return tuple(i for i in edits.add if i not in have)


def revised(
    record: IssueRecord,
    edits: Edits,
    added: Mapping[str, IssuePaper],
    sections: Sequence[Section],
    *,
    texts: TextsConfig,
    promos: Sequence[Promo],
    last_listing: dt.date | None,
) -> Issue:
    """The draft with these (checked) edits and nothing else, numbered again, as an `Issue`
    to render; `added`: the incoming papers, laid out. Its candidates stay the record's."""
    by_name = {s.name: s for s in sections}

    def section(name: str) -> Section:
        return by_name.get(name) or Section(name, "")  # a section no longer configured stays

    picks = [Pick(p, section(s.name)) for s, p in record.picks]
    was = {p.paper.arxiv_id: p.section.name for p in picks}
    coming = {i: Pick(added[i], section(_guess(record, i))) for i in incoming(edits, record)}
    applied = edits.applied(picks, coming, sections)
    numbered: list[IssueSection] = []
    for name in section_order((p.section.name for p in applied), sections):
        here = [p for p in applied if p.section.name == name]
        stayed = [p for p in here if was.get(p.paper.arxiv_id) == name]
        papers = edits.arranged(name, stayed + [p for p in here if p not in stayed])
        n = len(numbered) + 1
        numbered.append(
            IssueSection(
                number=n,
                name=name,
                papers=tuple(replace(p.paper, number=f"{n}.{i}") for i, p in enumerate(papers, 1)),
            )
        )
    week = Week.containing(record.week_start)
    fields = text_fields(week, last_listing, len(applied))
    note = edits.note_paragraphs if edits.note is not None else record.note
    return Issue(
        number=record.number,
        week_start=record.week_start,
        week_end=record.week_end,
        title=fill(texts.title, fields),
        subtitle=fill(texts.subtitle, fields),
        intro=tuple(fill(p, fields) for p in texts.intro),
        toc_heading=fill(texts.toc_heading, fields),
        sections=tuple(numbered),
        promos=tuple(
            p for p in promos if p.name in record.promos and p.name not in edits.skip_promos
        ),
        candidates=(),
        model=record.model,
        note=note,
    )


def preheader(texts: TextsConfig, issue: Issue) -> str:
    return fill(texts.preheader, {"count": len(issue.papers), "week_name": _week_name(issue)})


def _week_name(issue: Issue) -> str:
    return Week.containing(issue.week_start).name


def _guess(record: IssueRecord, arxiv_id: str) -> str:
    """The classifier's section for a candidate (its section in the issue, if it is in)."""
    for s, p in record.picks:
        if p.arxiv_id == arxiv_id:
            return s.name
    for c in record.candidates:
        if c.arxiv_id == arxiv_id:
            return c.section
    raise KeyError(arxiv_id)
