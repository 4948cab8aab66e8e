"""How an issue did: audience, deliveries, opens, clicks on each paper, section and promo,
the first 72 hours hour by hour, and the list's growth. Every count is of unique
subscribers (a reader who opens five times is one open).

Rates are of delivered messages. What the provider tells (delivered, bounces, drops,
complaints, opens, clicks) is known only when it tells it: SendGrid's Event Webhook. An issue
sent through SMTP or the outbox, with no events, has those numbers unknown, not zero
(`IssueEngagement.tracked`, NEEDS_EVENTS); the audience, sent and the unsubscribes made
through our own links are known whatever the backend. Opens fetched by Apple Mail Privacy Protection
(`sg_machine_open`) say nothing about reading: a subscriber whose only opens are those is
counted in `machine_opens`, not in `unique_opens`. Clicks on "view in browser", on the
unsubscribe link and on vote links are counted apart from `unique_clicks`. Readers' votes
("useful", "not for me") are counted per paper and section from the votes themselves (one
per reader and paper), those of the issue's audience only: never a welcome mail's copy.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from newsletter.domain.delivery import DeliveryStatus
from newsletter.domain.events import EventKind, ListChange
from newsletter.domain.votes import Tally
from newsletter.engagement.subject_test import (
    SubjectTestReport,
    SubjectTestStore,
    subject_test_report,
)
from newsletter.issue.lookup import IssueLookup, find_issue
from newsletter.store import StoredIssue
from newsletter.store.events import EventCounts
from newsletter.subscribers.growth import GrowthWeek, growth, last_weeks, week_start

HOURS = 72
# What only the provider's events can tell; unknown (not 0) for an issue no provider reports on.
NEEDS_EVENTS = (
    "delivered",
    "bounced",
    "soft_bounced",
    "dropped",
    "deferred",
    "complained",
    "unique_opens",
    "machine_opens",
    "unique_clicks",
    "view_clicks",
    "unsubscribe_clicks",
    "open_rate",
    "click_rate",
    "clicks_by_paper",
    "clicks_by_section",
    "clicks_by_promo",
    "opens_by_hour",
    "clicks_by_hour",
)
REPORTING_BACKENDS = frozenset({"sendgrid"})  # those whose provider posts events back


class EngagementStore(SubjectTestStore, Protocol):
    """What one issue's numbers are read from: its folded totals, or its events and deliveries."""

    def issue_totals(self, issue_number: int) -> dict[str, Any] | None: ...

    def event_counts(self, issue_number: int) -> EventCounts: ...

    def delivery_counts(self, issue_number: int) -> dict[DeliveryStatus, int]: ...

    def unsubscribed_after(self, issue_number: int) -> dict[str, int]: ...

    def vote_tallies(self, issue_number: int, *, audience: bool = True) -> dict[str, Tally]: ...
    def sent_by_backend(self, issue_number: int) -> dict[str, int]: ...


class ReportStore(EngagementStore, IssueLookup, Protocol):
    """A report: the issue asked for (or the latest sent), its numbers, the list's growth."""

    def clock(self) -> dt.datetime: ...

    def list_changes_since(self, since: dt.datetime) -> list[ListChange]: ...

    def count_active(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PaperClicks:
    number: str  # "1.2", as the issue numbers it
    arxiv_id: str
    title: str
    section: str
    clicks: int
    up: int = 0  # readers' votes: "useful"
    down: int = 0  # "not for me"


@dataclass(frozen=True, slots=True)
class IssueEngagement:
    issue: int
    title: str
    week_start: dt.date
    sent_at: dt.datetime | None
    audience: int  # deliveries made for the issue: the active list at send
    sent: int
    delivered: int
    bounced: int  # hard bounces
    soft_bounced: int
    dropped: int
    deferred: int
    complained: int
    unsubscribed_by: dict[str, int]  # how: one-click, page, webhook, cli
    unique_opens: int
    machine_opens: int
    unique_clicks: int
    view_clicks: int
    unsubscribe_clicks: int
    papers: tuple[PaperClicks, ...]  # most clicked first
    clicks_by_section: dict[str, int]
    clicks_by_promo: dict[str, int]
    opens_by_hour: tuple[int, ...]  # each reader's first open, by hours after sending
    clicks_by_hour: tuple[int, ...]
    folded: bool = False  # read from the totals kept when its raw events were dropped
    subject_test: SubjectTestReport | None = None  # its subject-line test, if it had one
    votes_by_section: dict[str, dict[str, int]] = field(default_factory=dict)  # up, down
    sent_by: dict[str, int] = field(default_factory=dict)  # backend → deliveries it sent
    provider_events: bool = True  # the provider has told of this issue's mail (any event)

    @property
    def tracked(self) -> bool:
        """Whether NEEDS_EVENTS are known: a provider reported on the issue, or it went through
        one that reports (SendGrid: its events may still be on the way)."""
        return self.provider_events or bool(REPORTING_BACKENDS & set(self.sent_by))

    @property
    def untracked(self) -> str | None:
        """Why the numbers that need events are not known; None when they are."""
        if self.tracked:
            return None
        via = " and ".join(sorted(self.sent_by)) or "a backend that reports nothing"
        return (
            f"Sent via {via}, which tells nothing of what happened to the mail: delivered, "
            "bounces, drops, complaints, opens and clicks are not known. They need SendGrid, "
            "with its Event Webhook posting to newsletter web."
        )

    @property
    def unsubscribed(self) -> int:
        return sum(self.unsubscribed_by.values())

    @property
    def clicks_by_paper(self) -> dict[str, int]:
        return {p.arxiv_id: p.clicks for p in self.papers}

    @property
    def votes_by_paper(self) -> dict[str, dict[str, int]]:
        """Each paper's votes, in the issue's order: {arXiv id: {"up": n, "down": m}}."""
        ordered = sorted(self.papers, key=lambda p: [int(n) for n in p.number.split(".") if n])
        return {p.arxiv_id: {"up": p.up, "down": p.down} for p in ordered}

    @property
    def votes(self) -> Tally:
        return Tally(sum(p.up for p in self.papers), sum(p.down for p in self.papers))

    @property
    def open_rate(self) -> float:
        return self.unique_opens / self.delivered if self.delivered else 0.0

    @property
    def click_rate(self) -> float:
        return self.unique_clicks / self.delivered if self.delivered else 0.0

    def to_json(self) -> dict[str, Any]:
        found = dataclasses.asdict(self)
        found["week_start"] = self.week_start.isoformat()  # (a folded issue's totals keep all)
        found["sent_at"] = self.sent_at.isoformat() if self.sent_at else None
        found["subject_test"] = self.subject_test.to_json() if self.subject_test else None
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IssueEngagement:
        sent_at = data.get("sent_at")
        return cls(
            **{
                **data,
                "week_start": dt.date.fromisoformat(data["week_start"]),
                "sent_at": dt.datetime.fromisoformat(sent_at) if sent_at else None,
                "papers": tuple(PaperClicks(**p) for p in data["papers"]),
                "votes_by_section": data.get("votes_by_section", {}),
                "opens_by_hour": tuple(data["opens_by_hour"]),
                "clicks_by_hour": tuple(data["clicks_by_hour"]),
                "folded": True,
                "subject_test": _subject_test(data.get("subject_test")),
                # totals folded by earlier releases: they had SendGrid's events to fold
                "sent_by": dict(data.get("sent_by", {})),
                "provider_events": data.get("provider_events", True),
            }
        )


def issue_engagement(store: EngagementStore, issue: StoredIssue) -> IssueEngagement:
    """The issue's numbers: from its folded totals if it has them, else from its events."""
    totals = store.issue_totals(issue.number)
    votes = store.vote_tallies(issue.number)  # kept whole: never folded away
    if totals is not None:
        return with_votes(IssueEngagement.from_json(totals), issue, votes)
    counts = store.event_counts(issue.number)
    deliveries = store.delivery_counts(issue.number)
    start = _start(issue.sent_at, counts.first_event)
    heard = bool(counts.by_kind) or any(
        (counts.human_openers, counts.machine_only_openers, counts.clickers)
    )
    found = IssueEngagement(
        issue=issue.number,
        title=issue.title,
        week_start=issue.week_start,
        sent_at=start,
        audience=sum(deliveries.values()),
        sent=deliveries.get(DeliveryStatus.SENT, 0),
        delivered=counts.by_kind.get(EventKind.DELIVERED, 0),
        bounced=counts.hard_bounces,
        soft_bounced=counts.soft_bounces,
        dropped=counts.by_kind.get(EventKind.DROPPED, 0),
        deferred=counts.by_kind.get(EventKind.DEFERRED, 0),
        complained=counts.by_kind.get(EventKind.SPAMREPORT, 0),
        unsubscribed_by=store.unsubscribed_after(issue.number),
        unique_opens=counts.human_openers,
        machine_opens=counts.machine_only_openers,
        unique_clicks=counts.clickers,
        view_clicks=counts.view_clickers,
        unsubscribe_clicks=counts.unsubscribe_clickers,
        papers=_papers(issue, counts),
        clicks_by_section={s.name: counts.by_section.get(s.name, 0) for s in issue.record.sections},
        clicks_by_promo={name: counts.by_promo.get(name, 0) for name in issue.record.promos},
        opens_by_hour=by_hour(counts.first_opens, start),
        clicks_by_hour=by_hour(counts.first_clicks, start),
        subject_test=subject_test_report(store, issue.number),
        sent_by=store.sent_by_backend(issue.number),
        provider_events=heard,
    )
    return with_votes(found, issue, votes)


def with_votes(e: IssueEngagement, issue: StoredIssue, votes: dict[str, Tally]) -> IssueEngagement:
    """The engagement with the readers' votes on each paper and section, as they are now."""
    none = Tally()
    papers = tuple(
        dataclasses.replace(
            p, up=votes.get(p.arxiv_id, none).up, down=votes.get(p.arxiv_id, none).down
        )
        for p in e.papers
    )
    sections: dict[str, Tally] = {s.name: Tally() for s in issue.record.sections}
    for p in papers:
        sections[p.section] = sections.get(p.section, Tally()) + Tally(p.up, p.down)
    by_section = {name: t.to_json() for name, t in sections.items()}
    return dataclasses.replace(e, papers=papers, votes_by_section=by_section)


def _subject_test(data: dict[str, Any] | None) -> SubjectTestReport | None:
    return SubjectTestReport.from_json(data) if data else None


def by_hour(times: Sequence[dt.datetime], start: dt.datetime | None) -> tuple[int, ...]:
    """How many of `times` fall in each of the first HOURS hours from `start`."""
    bins = [0] * HOURS
    if start is None:
        return tuple(bins)
    for at in times:
        hour = int((at - start).total_seconds() // 3600)
        if 0 <= hour < HOURS:
            bins[hour] += 1
    return tuple(bins)


def _start(sent_at: dt.datetime | None, first_event: dt.datetime | None) -> dt.datetime | None:
    """When the issue went out: the provider's first word on it, or when the send finished."""
    known = [t for t in (sent_at, first_event) if t is not None]
    return min(known) if known else None


def _papers(issue: StoredIssue, counts: EventCounts) -> tuple[PaperClicks, ...]:
    found = [
        PaperClicks(p.number, p.arxiv_id, p.title, s.name, counts.by_paper.get(p.arxiv_id, 0))
        for s, p in issue.record.picks
    ]
    order = {p.arxiv_id: n for n, p in enumerate(found)}
    return tuple(sorted(found, key=lambda p: (-p.clicks, order[p.arxiv_id])))


@dataclass(frozen=True, slots=True)
class Report:
    engagement: IssueEngagement
    growth: list[GrowthWeek] = field(default_factory=list)
    generated_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """One object: the counts by the names `newsletter report --json` promises."""
        e = self.engagement
        found = {
            **{k: v for k, v in e.to_json().items() if k not in ("papers", "unsubscribed_by")},
            "unsubscribed": e.unsubscribed,
            "unsubscribed_by": e.unsubscribed_by,
            "open_rate": round(e.open_rate, 4),
            "click_rate": round(e.click_rate, 4),
            "clicks_by_paper": e.clicks_by_paper,
            "votes_by_paper": e.votes_by_paper,
            "papers": [dataclasses.asdict(p) for p in e.papers],
            "list_growth": [_week_json(w) for w in self.growth],
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "unknown": [],
            "unknown_why": None,
        }
        if not e.tracked:  # null, not 0: nobody knows how many opened a mail sent by SMTP
            found.update(dict.fromkeys(NEEDS_EVENTS), unknown=list(NEEDS_EVENTS))
            found["unknown_why"] = e.untracked
            for paper in found["papers"]:
                paper["clicks"] = None
            for variant in (found["subject_test"] or {}).get("variants", []):
                variant["unique_opens"] = variant["unique_clicks"] = None
        return found


def make_report(
    store: ReportStore, number: int | None = None, *, weeks: int = 8, now: dt.datetime | None = None
) -> Report:
    """The report of issue `number` (the latest sent one if None), with `weeks` of growth."""
    issue = find_issue(store, number=number, sent=True)
    now = store.clock() if now is None else now
    span = last_weeks(now, weeks)
    changes = store.list_changes_since(week_start(span[0]))
    return Report(issue_engagement(store, issue), growth(changes, store.count_active(), span), now)


def _week_json(week: GrowthWeek) -> dict[str, Any]:
    return {
        "week": week.label,
        "week_start": week.week.start.isoformat(),
        "confirmed": week.joins,
        "left": week.left,
        "net": week.net,
        "size": week.size,
    }
