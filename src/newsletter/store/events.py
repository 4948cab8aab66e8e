"""Queries on what readers did: every provider event (kept once), the delivery rows they
stamp, an issue's counts, folding old issues into totals, and the list's joins and leaves."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.domain.events import BOUNCE_HARD, EmailEvent, EventKind, LinkKind, ListChange, Via
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subscriber import Status
from newsletter.store.schema import (
    deliveries,
    email_events,
    issue_totals,
    issues,
    list_changes,
    subscribers,
)

KEYS_PER_QUERY = 500  # well under every backend's bound-parameter limit
STAMPED = frozenset({"delivered_at", "opened_at", "clicked_at", "bounced_at", "complained_at"})


@dataclass(slots=True)
class EventCounts:
    """An issue's events, as unique subscribers (a subscriber counts once per line)."""

    by_kind: dict[str, int] = field(default_factory=dict)  # processed, delivered, deferred …
    hard_bounces: int = 0
    soft_bounces: int = 0
    human_openers: int = 0
    machine_only_openers: int = 0  # opened only by Apple Mail Privacy Protection
    clickers: int = 0  # on a paper, a promo or another link of the issue
    view_clickers: int = 0
    unsubscribe_clickers: int = 0
    by_paper: dict[str, int] = field(default_factory=dict)
    by_section: dict[str, int] = field(default_factory=dict)
    by_promo: dict[str, int] = field(default_factory=dict)
    first_opens: list[dt.datetime] = field(default_factory=list)  # each reader's first
    first_clicks: list[dt.datetime] = field(default_factory=list)
    first_event: dt.datetime | None = None  # when the provider first had the issue


class EventQueries:
    """Mixed into Store: provider events, folding, list changes."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    # -- keeping events ------------------------------------------------------------------

    def seen_event_keys(self, keys: Collection[str]) -> set[str]:
        """Which of these event keys are stored already."""
        wanted, found = sorted(set(keys)), set[str]()
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                chunk = wanted[start : start + KEYS_PER_QUERY]
                query = select(email_events.c.event_key).where(email_events.c.event_key.in_(chunk))
                found.update(conn.execute(query).scalars())
        return found

    def add_events(self, events: Sequence[EmailEvent]) -> None:
        """Keep events; one already kept (a concurrent retry of the same post) is left alone."""
        if not events:
            return
        now = self.clock()
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(email_events).on_conflict_do_nothing(
            index_elements=["event_key"]
        )
        with self.engine.begin() as conn:
            conn.execute(statement, [_event_row(e, now) for e in events])

    def stamp_deliveries(self, stamps: Iterable[tuple[int, int, str, dt.datetime]]) -> None:
        """(issue, subscriber, column, when): keep the earliest time of each column on each
        delivery row, so events in any order and any number end in the same row."""
        by_column: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for issue, subscriber, column, at in stamps:
            if column not in STAMPED:
                raise ValueError(f"not a delivery event column: {column}")
            by_column[column].append({"i": issue, "s": subscriber, "when": at})
        with self.engine.begin() as conn:
            for column, rows in by_column.items():
                target = deliveries.c[column]
                when = bindparam("when", type_=target.type)
                statement = (
                    update(deliveries)
                    .where(
                        deliveries.c.issue_number == bindparam("i"),
                        deliveries.c.subscriber_id == bindparam("s"),
                        or_(target.is_(None), target > when),
                    )
                    .values({column: when})
                )
                conn.execute(statement.execution_options(synchronize_session=False), rows)

    # -- an issue's counts ---------------------------------------------------------------

    def event_counts(self, issue_number: int) -> EventCounts:
        counts = EventCounts()
        of_issue = email_events.c.issue_number == issue_number
        with self.engine.connect() as conn:
            _kinds(conn, of_issue, counts)
            _opens(conn, of_issue, counts)
            _clicks(conn, of_issue, counts)
        return counts

    def paper_clicks(self, issue_number: int) -> tuple[int, dict[str, int]]:
        """Delivered messages, and each paper's unique clickers: what readers' interest needs,
        without the rest of the report."""
        e = email_events.c
        of_issue = e.issue_number == issue_number
        delivered = select(_distinct_subscribers()).where(of_issue, e.kind == EventKind.DELIVERED)
        clicks = (
            select(e.target_key, _distinct_subscribers())
            .where(of_issue, e.kind == EventKind.CLICK.value, e.target == LinkKind.PAPER.value)
            .group_by(e.target_key)
        )
        with self.engine.connect() as conn:
            found = {str(key): int(n) for key, n in conn.execute(clicks).all() if key}
            return int(conn.execute(delivered).scalar_one()), found

    def unsubscribed_after(self, issue_number: int) -> dict[str, int]:
        """Who left by unsubscribing after this issue (their last), by the way they did it."""
        query = (
            select(list_changes.c.via, func.count(func.distinct(list_changes.c.subscriber_id)))
            .where(
                list_changes.c.issue_number == issue_number,
                list_changes.c.joined.is_(False),
                list_changes.c.reason == Status.UNSUBSCRIBED.value,
            )
            .group_by(list_changes.c.via)
        )
        with self.engine.connect() as conn:
            return {str(via): int(n) for via, n in conn.execute(query).all()}

    # -- folding -------------------------------------------------------------------------

    def issues_to_fold(self, sent_before: dt.datetime) -> list[int]:
        """Sent issues older than `sent_before` whose events are not folded yet."""
        folded = select(issue_totals.c.issue_number)
        query = (
            select(issues.c.number)
            .where(
                issues.c.status == IssueStatus.SENT,
                issues.c.sent_at < sent_before,
                issues.c.number.not_in(folded),
            )
            .order_by(issues.c.number)
        )
        with self.engine.connect() as conn:
            return [int(n) for n in conn.execute(query).scalars()]

    def fold_issue(self, issue_number: int, totals: dict[str, Any]) -> int:
        """Keep the issue's totals and drop its raw events, in one transaction; how many went."""
        with self.engine.begin() as conn:
            conn.execute(delete(issue_totals).where(issue_totals.c.issue_number == issue_number))
            conn.execute(
                insert(issue_totals).values(
                    issue_number=issue_number, folded_at=self.clock(), totals=totals
                )
            )
            done = conn.execute(
                delete(email_events).where(email_events.c.issue_number == issue_number)
            )
        return int(done.rowcount or 0)

    def issue_totals(self, issue_number: int) -> dict[str, Any] | None:
        """A folded issue's totals (None while its events are still kept raw)."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(issue_totals.c.totals).where(issue_totals.c.issue_number == issue_number)
            ).scalar_one_or_none()
        return dict(found) if found is not None else None

    def forget_loose_events(self, received_before: dt.datetime) -> int:
        """Drop events of no issue (confirmation mails, ids kept from before) once old."""
        with self.engine.begin() as conn:
            done = conn.execute(
                delete(email_events).where(
                    # issue 0: confirmation mails' events, kept under it before they were loose
                    or_(email_events.c.issue_number.is_(None), email_events.c.issue_number == 0),
                    email_events.c.received_at < received_before,
                )
            )
        return int(done.rowcount or 0)

    def count_events(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(email_events)).scalar_one())

    # -- the list's joins and leaves -------------------------------------------------------

    def list_changes_since(self, since: dt.datetime) -> list[ListChange]:
        query = select(list_changes).where(list_changes.c.at >= since).order_by(list_changes.c.at)
        with self.engine.connect() as conn:
            return [
                ListChange(
                    r.subscriber_id, bool(r.joined), r.reason, Via(r.via), r.at, r.issue_number
                )
                for r in conn.execute(query)
            ]

    def count_active(self) -> int:
        query = (
            select(func.count())
            .select_from(subscribers)
            .where(subscribers.c.status == Status.ACTIVE.value)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def sent_to(self, issue_number: int) -> list[tuple[int, str]]:
        """(subscriber id, address) of everyone the issue was sent to, by id."""
        query = (
            select(subscribers.c.id, subscribers.c.email)
            .join(deliveries, deliveries.c.subscriber_id == subscribers.c.id)
            .where(deliveries.c.issue_number == issue_number, deliveries.c.status == "sent")
            .order_by(subscribers.c.id)
        )
        with self.engine.connect() as conn:
            return [(int(i), str(e)) for i, e in conn.execute(query).all()]

    def sent_issue_numbers(self) -> list[int]:
        """Every sent issue, newest first."""
        query = (
            select(issues.c.number)
            .where(issues.c.status == IssueStatus.SENT)
            .order_by(issues.c.number.desc())
        )
        with self.engine.connect() as conn:
            return [int(n) for n in conn.execute(query).scalars()]


def record_list_change(conn: Connection, change: ListChange) -> None:
    """One join or leave, in the caller's transaction; a leave names the last issue sent."""
    record_list_changes(conn, [change])


def record_list_changes(conn: Connection, changes: Sequence[ListChange]) -> None:
    """Joins and leaves in one statement (an import records thousands); a leave names the
    last issue sent to that subscriber."""
    if not changes:
        return
    rows = [
        {
            "subscriber_id": c.subscriber_id,
            "joined": c.joined,
            "reason": c.reason,
            "via": c.via.value,
            "issue_number": c.issue if c.joined or c.issue is not None else _last_sent(conn, c),
            "at": c.at,
        }
        for c in changes
    ]
    conn.execute(insert(list_changes), rows)


def _last_sent(conn: Connection, change: ListChange) -> int | None:
    if change.subscriber_id is None:
        return None
    found = conn.execute(
        select(func.max(deliveries.c.issue_number)).where(
            deliveries.c.subscriber_id == change.subscriber_id,
            deliveries.c.status == "sent",
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def _event_row(e: EmailEvent, now: dt.datetime) -> dict[str, Any]:
    target = e.target
    return {
        "event_key": e.key,
        "kind": e.kind.value,
        "issue_number": e.issue,
        "subscriber_id": e.subscriber,
        "occurred_at": e.occurred_at,
        "received_at": now,
        "url": e.url,
        "target": target.kind.value if target else None,
        "target_key": target.key if target else None,
        "section": target.section if target else None,
        "machine": e.machine,
        "detail": e.detail,
    }


def _distinct_subscribers() -> Any:
    return func.count(func.distinct(email_events.c.subscriber_id))


def _kinds(conn: Connection, of_issue: Any, counts: EventCounts) -> None:
    plain = [k.value for k in EventKind if k not in (EventKind.OPEN, EventKind.CLICK)]
    query = (
        select(email_events.c.kind, _distinct_subscribers())
        .where(of_issue, email_events.c.kind.in_(plain))
        .group_by(email_events.c.kind)
    )
    counts.by_kind = {str(kind): int(n) for kind, n in conn.execute(query).all()}
    hard = email_events.c.detail == BOUNCE_HARD
    bounces = select(
        func.count(func.distinct(case((hard, email_events.c.subscriber_id)))),
        func.count(func.distinct(case((~hard, email_events.c.subscriber_id)))),
    ).where(of_issue, email_events.c.kind == EventKind.BOUNCE.value)
    counts.hard_bounces, counts.soft_bounces = (int(n) for n in conn.execute(bounces).one())
    sending = (EventKind.PROCESSED.value, EventKind.DELIVERED.value)
    first = conn.execute(
        select(func.min(email_events.c.occurred_at)).where(
            of_issue, email_events.c.kind.in_(sending)
        )
    ).scalar_one_or_none()
    counts.first_event = None if first is None else _aware(first)


def _opens(conn: Connection, of_issue: Any, counts: EventCounts) -> None:
    human = email_events.c.machine.is_(False)
    query = (
        select(
            email_events.c.subscriber_id,
            func.min(case((human, email_events.c.occurred_at))),
        )
        .where(of_issue, email_events.c.kind == EventKind.OPEN.value)
        .where(email_events.c.subscriber_id.is_not(None))
        .group_by(email_events.c.subscriber_id)
    )
    for _, first_human in conn.execute(query).all():
        if first_human is None:
            counts.machine_only_openers += 1
        else:
            counts.human_openers += 1
            counts.first_opens.append(_aware(first_human))


def _clicks(conn: Connection, of_issue: Any, counts: EventCounts) -> None:
    e = email_events.c
    query = (
        select(e.subscriber_id, e.target, e.target_key, e.section, func.min(e.occurred_at))
        .where(of_issue, e.kind == EventKind.CLICK.value, e.subscriber_id.is_not(None))
        .group_by(e.subscriber_id, e.target, e.target_key, e.section)
    )
    papers: dict[str, set[int]] = defaultdict(set)
    sections: dict[str, set[int]] = defaultdict(set)
    promos: dict[str, set[int]] = defaultdict(set)
    first: dict[int, dt.datetime] = {}
    views, unsubscribes = set(), set()
    for subscriber, target, key, section, at in conn.execute(query).all():
        if target == LinkKind.VIEW:
            views.add(subscriber)
            continue
        if target == LinkKind.UNSUBSCRIBE:
            unsubscribes.add(subscriber)
            continue
        if target == LinkKind.VOTE:  # the votes themselves are counted from their page's posts
            continue
        at = _aware(at)
        first[subscriber] = min(first.get(subscriber, at), at)
        if target == LinkKind.PAPER and key:
            papers[key].add(subscriber)
            if section:
                sections[section].add(subscriber)
        elif target == LinkKind.PROMO and key:
            promos[key].add(subscriber)
    counts.clickers, counts.first_clicks = len(first), sorted(first.values())
    counts.view_clickers, counts.unsubscribe_clickers = len(views), len(unsubscribes)
    counts.by_paper = {k: len(v) for k, v in papers.items()}
    counts.by_section = {k: len(v) for k, v in sections.items()}
    counts.by_promo = {k: len(v) for k, v in promos.items()}


def _aware(value: Any) -> dt.datetime:
    """Aggregates come back without the column's type on SQLite: naive UTC text or datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
