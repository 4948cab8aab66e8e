"""A synthetic SendGrid event stream for one sent issue, and the report it must give.

What real traffic looks like: every message processed, most delivered, some bounced (hard,
soft then delivered, or hard after delivery), a few dropped; opens over three days with a
long tail, Apple Mail Privacy Protection's machine opens, clicks on papers (arXiv, PDF,
Hugging Face, some on another version of the arXiv link), promos, the view-in-browser,
the unsubscribe and other links; unsubscribes by the one-click header, the page's button
and SendGrid; spam reports. Delivered as SendGrid does it: shuffled out of order, some
events twice, some whole posts retried. The generator counts what the report must say.
Used by `newsletter demo --events` and by the tests; seeded, so the same every time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from newsletter.domain.events import Via
from newsletter.domain.issue import IssueRecord

HOURS = 72
OTHER_LINK = "https://example.com/elsewhere"


@dataclass(frozen=True, slots=True)
class Reader:
    subscriber_id: int
    email: str
    unsubscribe_url: str
    variant: int | None = None  # the subject a subject test's sample gave them


@dataclass(slots=True)
class Expected:
    """The report's numbers, as the generator knows them (unique subscribers)."""

    delivered: int = 0
    bounced: int = 0
    soft_bounced: int = 0
    dropped: int = 0
    complained: int = 0
    unsubscribed_by: dict[str, int] = field(default_factory=dict)
    unique_opens: int = 0
    machine_opens: int = 0
    unique_clicks: int = 0
    view_clicks: int = 0
    unsubscribe_clicks: int = 0
    clicks_by_paper: dict[str, int] = field(default_factory=dict)
    clicks_by_section: dict[str, int] = field(default_factory=dict)
    clicks_by_promo: dict[str, int] = field(default_factory=dict)
    opens_by_hour: list[int] = field(default_factory=lambda: [0] * HOURS)
    clicks_by_hour: list[int] = field(default_factory=lambda: [0] * HOURS)


@dataclass(slots=True)
class EventStream:
    posts: list[list[dict[str, Any]]]  # what SendGrid posts, in order, retries included
    web_unsubscribes: list[tuple[Reader, Via, dt.datetime]]  # made on our pages instead
    expected: Expected
    start: dt.datetime
    events: int = 0  # distinct events


@dataclass(frozen=True, slots=True)
class _Link:
    url: str
    kind: str  # paper | promo | view | other
    key: str = ""
    section: str = ""


class _Generator:
    def __init__(
        self,
        record: IssueRecord,
        base_url: str,
        start: dt.datetime,
        seed: int,
        appeal: Mapping[int, float] | None = None,
    ) -> None:
        self.record, self.start, self.rng = record, start, random.Random(seed)
        self.appeal = appeal or {}  # a subject test's variant → how much more it is opened
        self.base = int(start.timestamp())
        self.events: list[dict[str, Any]] = []
        self.expected = Expected()
        self.links = _links(record, base_url)
        self.papers: dict[str, set[int]] = defaultdict(set)
        self.sections: dict[str, set[int]] = defaultdict(set)
        self.promos: dict[str, set[int]] = defaultdict(set)
        self.web: list[tuple[Reader, Via, dt.datetime]] = []
        self.unsubscribed: dict[str, int] = defaultdict(int)

    def event(self, kind: str, reader: Reader, seconds: int, **extra: Any) -> None:
        self.events.append(
            {
                "email": reader.email,
                "timestamp": self.base + seconds,
                "event": kind,
                "sg_event_id": f"ev{len(self.events):07d}x{self.rng.randrange(10**9):09d}",
                "sg_message_id": f"msg{reader.subscriber_id}.filter0001",
                "category": ["newsletter", f"issue-{self.record.number}"],
                "issue": str(self.record.number),
                "subscriber": str(reader.subscriber_id),
                **extra,
            }
        )

    def reader(self, reader: Reader, first: bool) -> None:
        rng = self.rng
        sent = 0 if first else rng.randrange(0, 1800)
        self.event("processed", reader, sent)
        fate = rng.random()
        if fate < 0.01:
            self.event(
                "bounce", reader, sent + 60, type="bounce", status="5.1.1", reason="no such user"
            )
            self.expected.bounced += 1
            return
        if fate < 0.016:
            reason = "Bounced Address" if rng.random() < 0.5 else "Spam Content"
            self.event("dropped", reader, sent + 1, reason=reason)
            self.expected.dropped += 1
            return
        delivered = sent + rng.randrange(5, 600)
        if fate < 0.028:
            self.event("deferred", reader, sent + 30, reason="try again later", attempt="1")
            self.event("bounce", reader, sent + 40, type="blocked", status="4.7.1", reason="busy")
            self.expected.soft_bounced += 1
            delivered += 3600
        self.event("delivered", reader, delivered, response="250 OK")
        self.expected.delivered += 1
        if fate > 0.995:
            later = delivered + rng.randrange(3600, 36000)
            self.event(
                "bounce", reader, later, type="bounce", status="5.2.1", reason="mailbox disabled"
            )
            self.expected.bounced += 1
            return
        self.engage(reader, delivered)

    def engage(self, reader: Reader, delivered: int) -> None:
        rng = self.rng
        if rng.random() < 0.15:  # the phone's mail app fetches it as it arrives
            self.event("open", reader, delivered + rng.randrange(1, 120), sg_machine_open=True)
            machine = True
        else:
            machine = False
        first_open = None
        lift = 1.0 if reader.variant is None else self.appeal.get(reader.variant, 1.0)
        if rng.random() < 0.42 * lift:
            first_open = delivered + self.reading_delay()
            for n in range(rng.choice((1, 1, 2, 3))):
                self.event(
                    "open", reader, first_open + n * rng.randrange(60, 7200), sg_machine_open=False
                )
            self.expected.unique_opens += 1
            self.count_hour(self.expected.opens_by_hour, first_open)
        elif machine:
            self.expected.machine_opens += 1
        if first_open is not None and rng.random() < 0.3:
            self.click(reader, first_open)
        self.leave(reader, first_open if first_open is not None else delivered + 600)

    def reading_delay(self) -> int:
        if self.rng.random() < 0.04:  # the long tail, past the report's 72 hours
            return self.rng.randrange(73 * 3600, 110 * 3600)
        return min(int(self.rng.expovariate(1 / (8 * 3600))), 71 * 3600)

    def click(self, reader: Reader, first_open: int) -> None:
        rng, first_content = self.rng, None
        for link in rng.sample(self.links, k=min(len(self.links), rng.choice((1, 1, 2, 3)))):
            at = first_open + rng.randrange(10, 1800)
            self.event("click", reader, at, url=link.url, url_offset={"index": 0, "type": "html"})
            first_content = self.count_click(reader, link, at, first_content)
        if first_content is not None:
            self.expected.unique_clicks += 1
            self.count_hour(self.expected.clicks_by_hour, first_content)

    def count_click(self, reader: Reader, link: _Link, at: int, first: int | None) -> int | None:
        who = reader.subscriber_id
        if link.kind == "view":
            self.expected.view_clicks += 1
            return first
        if link.kind == "paper":
            self.papers[link.key].add(who)
            self.sections[link.section].add(who)
        elif link.kind == "promo":
            self.promos[link.key].add(who)
        return at if first is None else min(first, at)

    def leave(self, reader: Reader, after: int) -> None:
        roll, at = self.rng.random(), after + self.rng.randrange(60, 3600)
        if roll < 0.02:  # clicks the unsubscribe link: half of them press the button
            url = reader.unsubscribe_url
            self.event("click", reader, at, url=url, url_offset={"index": 9, "type": "html"})
            self.expected.unsubscribe_clicks += 1
            if roll < 0.01:
                self.web_leave(reader, Via.PAGE, at + 30)
        elif roll < 0.03:
            self.web_leave(reader, Via.ONE_CLICK, at)
        elif roll < 0.035:
            self.event("unsubscribe", reader, at)
            self.unsubscribed[Via.WEBHOOK] += 1
        elif roll < 0.038:
            self.event("group_unsubscribe", reader, at, asm_group_id=1)
            self.unsubscribed[Via.WEBHOOK] += 1
        elif roll < 0.04:
            self.event("spamreport", reader, at)
            self.expected.complained += 1

    def web_leave(self, reader: Reader, via: Via, at: int) -> None:
        self.web.append((reader, via, self.start + dt.timedelta(seconds=at)))
        self.unsubscribed[via] += 1

    def count_hour(self, bins: list[int], at: int) -> None:
        if 0 <= at // 3600 < HOURS:
            bins[at // 3600] += 1

    def finish(self) -> Expected:
        e = self.expected
        e.clicks_by_paper = {k: len(v) for k, v in self.papers.items()}
        e.clicks_by_section = {k: len(v) for k, v in self.sections.items()}
        e.clicks_by_promo = {k: len(v) for k, v in self.promos.items()}
        e.unsubscribed_by = {str(k): v for k, v in self.unsubscribed.items()}
        return e


def synthetic_stream(
    record: IssueRecord,
    readers: Sequence[Reader],
    *,
    base_url: str,
    start: dt.datetime,
    seed: int = 14,
    batch: int = 500,
    appeal: Mapping[int, float] | None = None,
) -> EventStream:
    """The events of `record` sent to `readers` at `start` (keep it days in the past: the
    webhook takes no event from the future), in posts of about `batch` events. `appeal`:
    how much more (or less) a subject test's variant is opened, by variant."""
    gen = _Generator(record, base_url.rstrip("/"), start, seed, appeal)
    for n, reader in enumerate(readers):
        gen.reader(reader, first=n == 0)
    expected = gen.finish()
    events = list(gen.events)
    rng = gen.rng
    rng.shuffle(events)  # SendGrid posts in no particular order
    for twice in rng.sample(events, k=len(events) // 30):  # and sometimes the same event again
        events.insert(rng.randrange(len(events)), twice)
    posts = [events[i : i + batch] for i in range(0, len(events), batch)]
    for retried in rng.sample(range(len(posts)), k=min(2, len(posts))):  # a post retried whole
        posts.append(list(posts[retried]))
    return EventStream(posts, gen.web, expected, start, len(gen.events))


def _links(record: IssueRecord, base_url: str) -> list[_Link]:
    """Every link of the issue a reader may click, weighted by how often readers do."""
    found = []
    for section, paper in record.picks:
        versioned = paper.url.rstrip("/") + "v2"  # a reader's own copy of another version
        for url in (paper.url, paper.url, paper.pdf_url, paper.hf_url, versioned):
            if url:
                found.append(_Link(url, "paper", paper.arxiv_id, section.name))
    for name, urls in record.promo_links.items():  # promos draw about as well as a paper
        found += [_Link(url, "promo", name) for url in urls for _ in range(4)]
    found.append(_Link(f"{base_url}/issues/{record.number}", "view"))
    found.append(_Link(OTHER_LINK, "other"))
    return found
