"""Subscribers: who gets the newsletter, and the rules for adding, leaving and erasing them.

The store keeps the rows (store/subscribers.py); this module decides. The store and the
time come in as parameters (`now` defaults to the store's clock). CSV import lives in
subscriber_import.py; the signed link tokens in tokens.py, re-exported here.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypeVar

from email_validator import EmailNotValidError, validate_email

from newsletter.errors import SubscriberError
from newsletter.tokens import make_token, read_token
from newsletter.week import Week

if TYPE_CHECKING:
    from newsletter.store.subscribers import SubscriberQueries

__all__ = [
    "Added", "Stats", "Status", "Subscriber", "SubscriberData", "WeekCount", "add",
    "export_csv", "get", "get_by_email", "iter_subscribers", "list_subscribers", "make_token",
    "normalise_email", "read_token", "remove", "set_status", "stats", "unsubscribe", "with_status",
]


class Status(StrEnum):
    PENDING = "pending"  # signed up on the web, not confirmed yet
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


# People who left the list: nothing but an explicit resubscription brings them back.
GONE = frozenset({Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED})


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscriberData:
    """A subscriber's fields, before the store gives them an id."""

    email: str
    name: str | None
    status: Status
    source: str | None
    attributes: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    confirmed_at: dt.datetime | None = None
    unsubscribed_at: dt.datetime | None = None

    @property
    def email_key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscriber(SubscriberData):
    """A stored subscriber."""

    id: int


S = TypeVar("S", bound=SubscriberData)


def normalise_email(raw: str) -> str:
    """The address in canonical form (domain lowercased, Unicode normalised), checked offline."""
    text = raw.strip()
    if not text:
        raise SubscriberError("missing email address", email=raw)
    try:
        return _plain_address(text) or validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise SubscriberError(f"not a valid email address: {text!r}: {exc}", email=raw) from None


# email-validator spends most of its time on the domain (IDNA/UTS-46 rules), and a list
# holds few distinct domains: a plain ASCII address checks its domain once per domain.
# A plain local part is one email-validator itself accepts unchanged (its DOT_ATOM_TEXT).
_ATEXT = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+"
_PLAIN = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.-]+)")


def _plain_address(text: str) -> str | None:
    """`text` normalised if it is a plain ASCII address with a valid domain; None to check it fully."""
    match = _PLAIN.fullmatch(text)
    if match is None or len(text) > 200:  # long ones: leave the length rules to the full check
        return None
    domain = _checked_domain(match[2].lower())
    return f"{match[1]}@{domain}" if domain else None


@functools.lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    try:
        return validate_email(f"x@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None  # the full check says why


def clean_name(name: str | None) -> str | None:
    """A display name on one line with single spaces, or None when there is none."""
    cleaned = " ".join((name or "").split())
    return cleaned or None


def with_status(sub: S, status: Status, at: dt.datetime) -> S:
    """`sub` moved to `status` at `at`: activation confirms, leaving stamps the first leave."""
    if sub.status == status:
        return sub
    if status is Status.ACTIVE:
        return dataclasses.replace(sub, status=status, confirmed_at=at, unsubscribed_at=None, updated_at=at)
    if status in GONE:
        left = sub.unsubscribed_at if sub.status in GONE else None
        return dataclasses.replace(sub, status=status, unsubscribed_at=left or at, updated_at=at)
    return dataclasses.replace(sub, status=status, updated_at=at)


@dataclass(frozen=True, slots=True)
class Added:
    """What `add` did to one address."""

    subscriber: Subscriber
    action: Literal["added", "updated", "unchanged"]
    previous: Status | None = None  # the status before, for addresses already stored

    @property
    def message(self) -> str:
        sub = self.subscriber
        if self.action == "added":
            return f"added {sub.email} (active)"
        if sub.status in GONE:
            named = "name updated; " if self.action == "updated" else ""
            return f"{named}{sub.email} is {sub.status}: not re-activated (they have to subscribe again)"
        if self.previous is Status.PENDING:
            return f"{sub.email} confirmed: now active"
        if self.action == "updated":
            return f"updated {sub.email} ({sub.status})"
        return f"{sub.email} is already {sub.status}"


def add(
    store: SubscriberQueries,
    email: str,
    *,
    name: str | None = None,
    source: str | None = None,
    now: dt.datetime | None = None,
) -> Added:
    """Add `email` as active (the owner adding someone is consent); a stored one keeps its status.

    An existing address gets the new name if one is given; a pending one becomes active.
    """
    address, name = normalise_email(email), clean_name(name)
    now = store.clock() if now is None else now
    found = store.subscriber_by_email(address.lower())
    if found is None:
        data = SubscriberData(email=address, name=name, status=Status.ACTIVE, source=source,
                              attributes={}, created_at=now, updated_at=now, confirmed_at=now)
        return Added(store.insert_subscriber(data), "added")
    changed = found
    if name and name != found.name:
        changed = dataclasses.replace(changed, name=name, updated_at=now)
    if found.status is Status.PENDING:
        changed = with_status(changed, Status.ACTIVE, now)
    if changed == found:
        return Added(found, "unchanged", found.status)
    store.update_subscriber(changed)
    return Added(changed, "updated", found.status)


def get(store: SubscriberQueries, subscriber_id: int) -> Subscriber | None:
    return store.get_subscriber(subscriber_id)


def get_by_email(store: SubscriberQueries, email: str) -> Subscriber | None:
    """The subscriber with this address in any case; SubscriberError if it is not an address."""
    return store.subscriber_by_email(normalise_email(email).lower())


def _require(store: SubscriberQueries, email: str) -> Subscriber:
    found = get_by_email(store, email)
    if found is None:
        raise SubscriberError(f"no subscriber with the address {email.strip()}", email=email)
    return found


def set_status(store: SubscriberQueries, subscriber_id: int, status: Status, at: dt.datetime) -> Subscriber:
    """Move a subscriber to `status` (web confirmations, unsubscribe links, bounce webhooks)."""
    found = store.get_subscriber(subscriber_id)
    if found is None:
        raise SubscriberError(f"no subscriber with id {subscriber_id}", email="")
    changed = with_status(found, status, at)
    if changed != found:
        store.update_subscriber(changed)
    return changed


def unsubscribe(
    store: SubscriberQueries, email: str, *, now: dt.datetime | None = None
) -> tuple[Subscriber, bool]:
    """Unsubscribe `email`; returns the subscriber and whether anything changed."""
    found = _require(store, email)
    if found.status in GONE:
        return found, False  # bounced and complained already get nothing; keep that reason
    at = store.clock() if now is None else now
    return set_status(store, found.id, Status.UNSUBSCRIBED, at), True


def remove(store: SubscriberQueries, email: str) -> int:
    """Erase the person and their delivery history; returns how many delivery rows went."""
    found = _require(store, email)
    erased = store.delete_subscriber(found.id)
    return erased or 0


def list_subscribers(
    store: SubscriberQueries, *, status: Status | None = None, search: str | None = None, limit: int = 50
) -> list[Subscriber]:
    """Up to `limit` subscribers, oldest first; `search` matches the address or the name."""
    return store.find_subscribers(status=status, search=(search or "").strip() or None, limit=limit)


def iter_subscribers(
    store: SubscriberQueries, *, status: Status | None = None, page_size: int = 1000
) -> Iterator[Subscriber]:
    """Every subscriber by id, fetched a page at a time (keyset), never the whole list at once."""
    after = 0
    while True:
        page = store.find_subscribers(status=status, after_id=after, limit=page_size)
        yield from page
        if len(page) < page_size:
            return
        after = page[-1].id


EXPORT_COLUMNS = ("id", "email", "name", "status", "source", "created_at", "updated_at",
                  "confirmed_at", "unsubscribed_at", "attributes")


def export_csv(
    store: SubscriberQueries, out: TextIO, *, status: Status | None = None, page_size: int = 1000
) -> int:
    """Write subscribers as CSV to `out` as they are read; returns how many were written."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for sub in iter_subscribers(store, status=status, page_size=page_size):
        writer.writerow(_export_row(sub))
        count += 1
    return count


def _export_row(sub: Subscriber) -> list[str]:
    def when(value: dt.datetime | None) -> str:
        return value.isoformat() if value else ""

    attributes = json.dumps(sub.attributes, ensure_ascii=False, sort_keys=True) if sub.attributes else ""
    return [str(sub.id), sub.email, sub.name or "", sub.status.value, sub.source or "",
            when(sub.created_at), when(sub.updated_at), when(sub.confirmed_at),
            when(sub.unsubscribed_at), attributes]


@dataclass(frozen=True, slots=True)
class WeekCount:
    """Joins and leaves in one ISO week (Monday to Sunday, UTC)."""

    week: Week
    joins: int
    leaves: int

    @property
    def label(self) -> str:
        year, number, _ = self.week.start.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True, slots=True)
class Stats:
    counts: dict[Status, int]
    weeks: list[WeekCount]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def stats(store: SubscriberQueries, *, weeks: int = 8, now: dt.datetime | None = None) -> Stats:
    """Counts by status, and joins and leaves in each of the last `weeks` ISO weeks.

    A join is counted when a subscriber became active (confirmed_at: adding, importing,
    confirming or resubscribing); a leave when they unsubscribed, bounced or complained.
    """
    now = store.clock() if now is None else now
    found = store.count_subscribers_by_status()
    counts = {status: found.get(status.value, 0) for status in Status}
    current = Week.containing(now.astimezone(dt.UTC).date())
    first = Week.containing(current.start - dt.timedelta(weeks=max(weeks, 1) - 1))
    joined, left = store.subscriber_event_times(dt.datetime.combine(first.start, dt.time(), dt.UTC))
    joins = Counter(Week.containing(t.date()) for t in joined)
    leaves = Counter(Week.containing(t.date()) for t in left)
    span = [Week.containing(first.start + dt.timedelta(weeks=n)) for n in range(max(weeks, 1))]
    return Stats(counts, [WeekCount(week, joins[week], leaves[week]) for week in span])
