"""A draft as the editor reviews it: its papers by section, every candidate of the week
ranked, what changed since the last proof, the next-ranked papers offered after a removal,
and its state (draft, approved, sending, sent; a run waiting for the answer). What the review
page, its JSON, `newsletter review` and the paused run's form all show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from newsletter.domain.issue import IssueStatus
from newsletter.domain.review import Changes, Picks, changes
from newsletter.issue.assemble import section_order
from newsletter.store import Store, StoredIssue

__all__ = ["DraftView", "ViewCandidate", "ViewPaper", "ViewSection", "view_of"]


@dataclass(frozen=True, slots=True)
class ViewPaper:
    number: str  # "2.1"
    arxiv_id: str
    title: str
    url: str
    section: str
    score: float
    why: str
    change: str | None = None  # since the last proof: "added" or "moved"
    moved_from: str | None = None


@dataclass(frozen=True, slots=True)
class ViewSection:
    number: int
    name: str
    papers: tuple[ViewPaper, ...]


@dataclass(frozen=True, slots=True)
class ViewCandidate:
    rank: int
    arxiv_id: str
    title: str
    url: str
    section: str  # the classifier's
    score: float
    why: str
    upvotes: int | None
    listed_on: dt.date | None
    number: str | None = None  # where it is in the issue, if it is

    @property
    def picked(self) -> bool:
        return self.number is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "arxiv_id": self.arxiv_id,
            "title": self.title,
            "section": self.section,
            "score": round(self.score, 3),
            "why": self.why,
            "upvotes": self.upvotes,
            "picked": self.picked,
            "number": self.number,
        }


@dataclass(frozen=True, slots=True)
class DraftView:
    number: int
    week_start: dt.date
    week_end: dt.date
    title: str
    status: IssueStatus
    version: int
    audience: int  # active subscribers it has not reached yet
    sections: tuple[ViewSection, ...]
    section_names: tuple[str, ...]  # every section a paper can go in, in issue order
    candidates: tuple[ViewCandidate, ...]
    since_proof: Changes  # against the last proof (or the build, before any proof)
    proofed_version: int | None
    removed: tuple[ViewCandidate, ...]  # taken out since the proof: to put back
    suggestions: tuple[ViewCandidate, ...]  # next in the ranking, one per paper short
    approved_by: str | None
    approved_at: dt.datetime | None
    waiting_until: dt.datetime | None  # a run waits for the answer until then
    sent_at: dt.datetime | None

    @property
    def paper_count(self) -> int:
        return sum(len(s.papers) for s in self.sections)

    @property
    def changeable(self) -> bool:
        return self.status.rebuildable

    @property
    def picks(self) -> Picks:
        return Picks(tuple((s.name, p.arxiv_id) for s in self.sections for p in s.papers))

    def to_json(self, csrf: str | None = None) -> dict[str, Any]:
        """The review page's draft.json."""
        return {
            "number": self.number,
            "week_start": self.week_start.isoformat(),
            "status": self.status.value,
            "version": self.version,
            "csrf": csrf,
            "papers": self.paper_count,
            "audience": self.audience,
            "sections": [
                {
                    "name": s.name,
                    "papers": [
                        {"arxiv_id": p.arxiv_id, "title": p.title, "number": p.number}
                        for p in s.papers
                    ],
                }
                for s in self.sections
            ],
            "section_names": list(self.section_names),
            "candidates": [c.to_json() for c in self.candidates],
            "since_proof": self.since_proof.to_json(),
            "suggestions": [c.arxiv_id for c in self.suggestions],
            "approved_by": self.approved_by,
            "waiting": self.waiting_until is not None,
        }


def view_of(
    store: Store, stored: StoredIssue, configured: tuple[str, ...], now: dt.datetime
) -> DraftView:
    """The stored draft as the editor reviews it; `configured`: the section names."""
    record, picks = stored.record, stored.picks
    proofed = store.revision_picks(stored.number, stored.proofed_version or stored.version)
    since = changes(proofed or picks, picks)
    added = dict(since.added)
    moved = {i: a for i, a, _ in since.moved}
    sections = tuple(
        ViewSection(
            s.number,
            s.name,
            tuple(
                ViewPaper(
                    p.number,
                    p.arxiv_id,
                    p.title,
                    p.url,
                    s.name,
                    p.score,
                    p.why,
                    "added" if p.arxiv_id in added else "moved" if p.arxiv_id in moved else None,
                    moved.get(p.arxiv_id),
                )
                for p in s.papers
            ),
        )
        for s in record.sections
    )
    where = {p.arxiv_id: p.number for _, p in record.picks}
    candidates = tuple(
        ViewCandidate(
            rank,
            c.arxiv_id,
            c.title,
            f"https://arxiv.org/abs/{c.arxiv_id}",
            c.section,
            c.score,
            c.why,
            c.upvotes,
            c.listed_on,
            where.get(c.arxiv_id),
        )
        for rank, c in enumerate(record.candidates, 1)
    )
    by_id = {c.arxiv_id: c for c in candidates}
    removed = tuple(by_id[i] for i in since.removed if i in by_id)
    short = len(proofed.ids if proofed else ()) - len(picks.ids)
    taken_out = set(since.removed) | set(store.removed_by_editor(stored.week_start))
    suggestions = tuple(c for c in candidates if not c.picked and c.arxiv_id not in taken_out)[
        : max(short, 0)
    ]
    used = {s.name for s in record.sections}
    names = tuple(configured) + tuple(n for n in section_order(used, ()) if n not in configured)
    return DraftView(
        number=stored.number,
        week_start=stored.week_start,
        week_end=record.week_end,
        title=stored.title,
        status=stored.status,
        version=stored.version,
        audience=store.audience(stored.number),
        sections=sections,
        section_names=names,
        candidates=candidates,
        since_proof=since,
        proofed_version=stored.proofed_version,
        removed=removed,
        suggestions=suggestions,
        approved_by=stored.approved_by if stored.status is IssueStatus.APPROVED else None,
        approved_at=stored.approved_at if stored.status is IssueStatus.APPROVED else None,
        waiting_until=stored.waiting_until if stored.waiting(now) else None,
        sent_at=stored.sent_at,
    )
