"""The issue as typed values: candidates and their score, the assembled issue, its stored
record (what issue.json and the store hold), and the issue's status. No I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import PaperKind, Section


class IssueStatus(StrEnum):
    DRAFT = "draft"  # built, or changed by the editor since; rebuilt freely
    APPROVED = "approved"  # the editor approved this version: what a send sends
    SENDING = "sending"  # its audience is fixed: never rebuilt, only sending is left
    SENT = "sent"  # nothing queued or in flight any more

    @property
    def rebuildable(self) -> bool:
        """Only a draft (approved or not) changes: once sending starts, the issue stays as it
        goes out. A change to an approved draft makes it a draft again."""
        return self in (IssueStatus.DRAFT, IssueStatus.APPROVED)

    def moves_to(self, target: IssueStatus) -> bool:
        return target in _MOVES[self]

    @classmethod
    def moving_to(cls, target: IssueStatus) -> tuple[IssueStatus, ...]:
        """The statuses an issue moves to `target` from (the store's updates filter on them)."""
        return tuple(status for status in cls if status.moves_to(target))


# How an issue's status moves: a draft is approved (and a change makes it a draft again);
# sending fixes its audience, and it is sent once nothing is queued or in flight (straight
# from a draft when there was nobody to send to). Nothing moves back from sending.
_MOVES: dict[IssueStatus, frozenset[IssueStatus]] = {
    IssueStatus.DRAFT: frozenset({IssueStatus.APPROVED, IssueStatus.SENDING, IssueStatus.SENT}),
    IssueStatus.APPROVED: frozenset({IssueStatus.DRAFT, IssueStatus.SENDING, IssueStatus.SENT}),
    IssueStatus.SENDING: frozenset({IssueStatus.SENT}),
    IssueStatus.SENT: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A block of a paper's summary: lead-in text, optionally followed by bullet items."""

    text: str
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One term of a paper's importance score, with what it is made of."""

    name: str
    value: float
    detail: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper of the week that is on topic, with its score and its section."""

    paper: Paper
    score: float
    parts: tuple[ScorePart, ...]
    section: Section
    section_scores: dict[str, float]  # by section name
    kind: PaperKind
    forced: bool = False
    signals: dict[str, float] = field(default_factory=dict)  # what a pick model weighs, in [0, 1]

    def rescored(
        self,
        score: float,
        parts: tuple[ScorePart, ...],
        section: Section | None = None,
        section_scores: dict[str, float] | None = None,
    ) -> Candidate:
        """The candidate with another score (and section): what a build does to thousands of
        them, so the constructor is called directly (dataclasses.replace is 5 times slower)."""
        return Candidate(
            self.paper,
            score,
            parts,
            section if section is not None else self.section,
            section_scores if section_scores is not None else self.section_scores,
            self.kind,
            self.forced,
            self.signals,
        )

    @property
    def why(self) -> str:
        """The score broken down, e.g. "prior +2.31 (area Transformers +1.64, upvotes +0.79)
        · editor +0.12 ('attention' +0.08) · section (Transformers: words 'attention')"."""
        terms = []
        for p in self.parts:
            value = f" {p.value:+.2f}" if p.value else ""
            terms.append(f"{p.name}{value} ({p.detail})" if p.detail else f"{p.name}{value}")
        if self.forced:
            terms.insert(0, "included by the editor")
        return " · ".join(terms) or "no signal"


class Spot(StrEnum):
    """Where in the issue a promo can stand."""

    TOP = "top"
    AFTER_INTRO = "after_intro"
    AFTER_TOC = "after_toc"
    AFTER_SECTION = "after_section"  # after the section numbered `PromoPosition.section`
    END = "end"


@dataclass(frozen=True, slots=True)
class PromoPosition:
    """A promo's place: a spot, and for AFTER_SECTION the section's number (from 1).
    Written in newsletter.toml as "top", "after_intro", "after_toc", "after_section:N", "end"."""

    spot: Spot
    section: int | None = None

    def __post_init__(self) -> None:
        if (self.spot is Spot.AFTER_SECTION) != (self.section is not None):
            raise ValueError("a section number goes with after_section, and only there")
        if self.section is not None and self.section < 1:
            raise ValueError(f"sections are numbered from 1, not {self.section}")

    @classmethod
    def parse(cls, text: str) -> PromoPosition:
        """The position `text` writes; ValueError naming the valid ones if it is none."""
        spot, sep, number = text.strip().partition(":")
        try:
            if sep:
                if Spot(spot) is not Spot.AFTER_SECTION or not number.isdigit():
                    raise ValueError(text)
                return cls(Spot.AFTER_SECTION, int(number))
            return cls(Spot(spot))
        except ValueError:
            raise ValueError(
                f"position {text!r} is none of top, after_intro, after_toc, after_section:N, end"
            ) from None

    def __str__(self) -> str:
        return self.spot.value if self.section is None else f"{self.spot.value}:{self.section}"


@dataclass(frozen=True, slots=True)
class Promo:
    """An owner's block (e-book, mentoring, …) placed at a position in the issue."""

    name: str
    position: PromoPosition
    title: str = ""
    paragraphs: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    image: str | None = None
    image_alt: str = ""


@dataclass(frozen=True, slots=True)
class IssuePaper:
    number: str  # "1.1"
    arxiv_id: str
    title: str
    url: str
    pdf_url: str
    hf_url: str | None
    authors: tuple[str, ...]
    summary: tuple[Paragraph, ...]
    score: float
    why: str


@dataclass(frozen=True, slots=True)
class IssueSection:
    number: int
    name: str
    papers: tuple[IssuePaper, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    """A week's issue, ready to render."""

    number: int
    week_start: dt.date
    week_end: dt.date
    title: str
    subtitle: str
    intro: tuple[str, ...]
    toc_heading: str
    sections: tuple[IssueSection, ...]
    promos: tuple[Promo, ...]
    candidates: tuple[Candidate, ...]
    model: str = ""  # the model that picked and placed the papers
    note: tuple[str, ...] = ()  # the editor's note for this week, in paragraphs, under the intro

    def promos_at(self, spot: str, section: int | None = None) -> tuple[Promo, ...]:
        """The promos at a spot ("after_section" with the section's number); templates
        written for "after_section:N" keep working."""
        where = PromoPosition.parse(spot if section is None else f"{spot}:{section}")
        return tuple(p for p in self.promos if p.position == where)

    @property
    def papers(self) -> tuple[IssuePaper, ...]:
        return tuple(p for s in self.sections for p in s.papers)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CandidateRecord(_Record):
    """One ranked candidate as the editor sees it in the dashboard's table."""

    arxiv_id: str
    title: str
    score: float
    section: str
    kind: PaperKind
    upvotes: int | None
    listed_on: dt.date | None
    why: str


class IssueRecord(_Record):
    """A built issue as issue.json and the store keep it: the picks by section and every
    ranked candidate. It travels typed from the build to the dashboard and the archive."""

    number: int
    title: str
    subtitle: str
    week_start: dt.date
    week_end: dt.date
    intro: tuple[str, ...]
    sections: tuple[IssueSection, ...]  # the picks, as the issue shows them
    promos: tuple[str, ...]
    candidates: tuple[CandidateRecord, ...]
    model: str = ""  # the version of the model that built it, and what it had learned from
    note: tuple[str, ...] = ()  # the editor's note, when there is one
    # each promo's links, so that a click on one counts for the promo by name
    promo_links: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @classmethod
    def of(cls, issue: Issue) -> IssueRecord:
        return cls(
            number=issue.number,
            title=issue.title,
            subtitle=issue.subtitle,
            week_start=issue.week_start,
            week_end=issue.week_end,
            intro=issue.intro,
            sections=issue.sections,
            promos=tuple(p.name for p in issue.promos),
            promo_links={p.name: tuple(url for _, url in p.links) for p in issue.promos},
            model=issue.model,
            note=issue.note,
            candidates=tuple(
                CandidateRecord(
                    arxiv_id=c.paper.arxiv_id,
                    title=c.paper.title,
                    score=c.score,
                    section=c.section.name,
                    kind=c.kind,
                    upvotes=c.paper.upvotes,
                    listed_on=c.paper.listed_on,
                    why=c.why,
                )
                for c in issue.candidates
            ),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IssueRecord:
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, in issue.json's layout (an issue without a note has no "note")."""
        found: dict[str, Any] = self.model_dump(
            mode="json", exclude={"note"} if not self.note else None
        )
        return found

    @property
    def picks(self) -> tuple[tuple[IssueSection, IssuePaper], ...]:
        """Every pick with its section, in issue order."""
        return tuple((s, p) for s in self.sections for p in s.papers)
