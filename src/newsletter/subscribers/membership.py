"""Membership of the list: every rule for adding, signing up, confirming, leaving and erasing.

The store keeps the rows (store/subscribers.py); this module decides, with the status rules
of domain/subscriber.py. The store comes in as a parameter, through the narrow doors below
(`Subscribers`, `SubscriberBook`, `ListStats`: the queries each rule uses, which the store
has), and so does the time (`now` defaults to the store's clock). CSV import and export
live beside it (import_csv.py, export.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from newsletter.domain.events import ListChange, Via
from newsletter.domain.subscriber import (
    GONE,
    Status,
    Subscriber,
    SubscriberData,
    clean_name,
    normalise_email,
    stronger,
    with_status,
)
from newsletter.errors import SubscriberError
from newsletter.subscribers.export import Pages
from newsletter.subscribers.growth import GrowthWeek, growth, last_weeks, week_start

__all__ = [
    "UNDO_UNSUBSCRIBE",
    "Added",
    "ListStats",
    "Stats",
    "SubscriberBook",
    "Subscribers",
    "add",
    "come_back",
    "confirm",
    "get",
    "get_by_email",
    "leave",
    "list_subscribers",
    "remove",
    "sign_up",
    "stats",
    "unsubscribe",
]


class Subscribers(Protocol):
    """One subscriber read and written back: what moving someone between statuses needs."""

    def get_subscriber(self, subscriber_id: int) -> Subscriber | None: ...

    def update_subscriber(
        self, sub: Subscriber, *, via: Via = ..., issue: int | None = None
    ) -> None: ...


class SubscriberBook(Subscribers, Pages, Protocol):
    """The list by address: adding, signing up, finding, listing and erasing people."""

    def clock(self) -> dt.datetime: ...

    def subscriber_by_email(self, email_key: str) -> Subscriber | None: ...

    def insert_subscriber(self, data: SubscriberData, *, via: Via = ...) -> Subscriber: ...

    def delete_subscriber(self, subscriber_id: int, *, via: Via = ...) -> int | None: ...


class ListStats(Protocol):
    """The list's counts and its joins and leaves."""

    def clock(self) -> dt.datetime: ...

    def count_subscribers_by_status(self) -> dict[str, int]: ...

    def list_changes_since(self, since: dt.datetime) -> list[ListChange]: ...


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
    store: SubscriberBook,
    email: str,
    *,
    name: str | None = None,
    source: str | None = None,
    now: dt.datetime | None = None,
    via: Via = Via.CLI,
) -> Added:
    """Add `email` as active (the owner adding someone is consent); a stored one keeps its status.

    An existing address gets the new name if one is given; a pending one becomes active.
    """
    address, name = normalise_email(email), clean_name(name)
    now = store.clock() if now is None else now
    found = store.subscriber_by_email(address.lower())
    if found is None:
        data = SubscriberData(
            email=address,
            name=name,
            status=Status.ACTIVE,
            source=source,
            attributes={},
            created_at=now,
            updated_at=now,
            confirmed_at=now,
        )
        return Added(store.insert_subscriber(data, via=via), "added")
    changed = found
    if name and name != found.name:
        changed = dataclasses.replace(changed, name=name, updated_at=now)
    if found.status is Status.PENDING:
        rest = {k: v for k, v in changed.attributes.items() if k != SIGN_UP_NAMES}
        changed = with_status(dataclasses.replace(changed, attributes=rest), Status.ACTIVE, now)
    if changed == found:
        return Added(found, "unchanged", found.status)
    store.update_subscriber(changed, via=via)
    return Added(changed, "updated", found.status)


def get(store: Subscribers, subscriber_id: int) -> Subscriber | None:
    return store.get_subscriber(subscriber_id)


def get_by_email(store: SubscriberBook, email: str) -> Subscriber | None:
    """The subscriber with this address in any case; SubscriberError if it is not an address."""
    return store.subscriber_by_email(normalise_email(email).lower())


def _require(store: SubscriberBook, email: str) -> Subscriber:
    found = get_by_email(store, email)
    if found is None:
        raise SubscriberError(f"no subscriber with the address {email.strip()}", email=email)
    return found


# The name typed with each sign-up not yet confirmed, by the second its confirmation link was
# issued (the link carries that second): confirming a link gives the name typed with it, so
# a stranger's sign-up of someone else's address cannot name them.
SIGN_UP_NAMES = "_sign_up_names"
KEEP_SIGN_UPS = 5


def sign_up(
    store: SubscriberBook,
    email: str,
    *,
    name: str | None = None,
    source: str = "web",
    now: dt.datetime | None = None,
) -> Subscriber:
    """Someone asked for the newsletter themselves: a new address is stored pending until its
    owner confirms (double opt-in). A stored one keeps its fields; unless active, the name
    typed now is kept aside for the link mailed now (`now` is that link's issue time)."""
    address, now = normalise_email(email), store.clock() if now is None else now
    name = clean_name(name)
    found = store.subscriber_by_email(address.lower())
    if found is not None:
        if found.status is Status.ACTIVE:
            return found
        asked = dataclasses.replace(found, attributes=_asked(found.attributes, now, name))
        store.update_subscriber(asked, via=Via.WEB)
        return asked
    data = SubscriberData(
        email=address,
        name=name,
        status=Status.PENDING,
        source=source,
        attributes=_asked({}, now, name),
        created_at=now,
        updated_at=now,
    )
    try:
        return store.insert_subscriber(data, via=Via.WEB)
    except SubscriberError:  # the same address signed up twice at once
        again = store.subscriber_by_email(address.lower())
        assert again is not None
        return again


# How long after unsubscribing the reader's own "Subscribe again" button works at once: an
# undo. Later, or after a bounce or a complaint, coming back takes a new confirmation mail.
UNDO_UNSUBSCRIBE = dt.timedelta(hours=1)


def confirm(
    store: Subscribers,
    subscriber_id: int,
    at: dt.datetime,
    *,
    via: Via = Via.WEB,
    issued: dt.datetime | None = None,
) -> Subscriber:
    """The address's owner confirmed (the link issued at `issued`): active now, named as
    typed with that sign-up; names typed with other sign-ups are forgotten."""
    found = _get(store, subscriber_id)
    asked = found.attributes.get(SIGN_UP_NAMES)
    named = found
    if isinstance(asked, dict):
        key = _sign_up_key(issued) if issued else None
        rest = {k: v for k, v in found.attributes.items() if k != SIGN_UP_NAMES}
        typed = asked.get(key) if key else None
        name = (typed or None) if isinstance(typed, str) else found.name
        named = dataclasses.replace(found, name=name, attributes=rest)
    changed = with_status(named, Status.ACTIVE, at)
    if changed != found:
        store.update_subscriber(changed, via=via)
    return changed


def _asked(attributes: dict[str, Any], at: dt.datetime, name: str | None) -> dict[str, Any]:
    """`attributes` with the name typed with the sign-up at `at` kept aside (the last few)."""
    asked = attributes.get(SIGN_UP_NAMES)
    names = dict(asked) if isinstance(asked, dict) else {}
    names[_sign_up_key(at)] = name or ""
    recent = dict(sorted(names.items(), key=lambda item: int(item[0]))[-KEEP_SIGN_UPS:])
    return {**attributes, SIGN_UP_NAMES: recent}


def _sign_up_key(at: dt.datetime) -> str:
    return str(int(at.timestamp()))  # the second a confirmation link carries


def come_back(store: Subscribers, subscriber_id: int, at: dt.datetime) -> tuple[Subscriber, bool]:
    """The unsubscribe page's "Subscribe again": the subscriber, and whether it takes a fresh
    confirmation mail (double opt-in) to the address.

    The link sits in every old issue, so whoever holds one could press it: it undoes an
    unsubscribe only within UNDO_UNSUBSCRIBE. A bounced or complained address, or an older
    unsubscribe, comes back only when the mailbox's owner confirms from their inbox.
    """
    found = _get(store, subscriber_id)
    if found.status is Status.ACTIVE:
        return found, False
    left = found.unsubscribed_at if found.status is Status.UNSUBSCRIBED else None
    if left is not None and at - left <= UNDO_UNSUBSCRIBE:
        return confirm(store, subscriber_id, at, via=Via.PAGE), False
    return found, True


def leave(
    store: Subscribers,
    subscriber_id: int,
    status: Status,
    at: dt.datetime,
    *,
    via: Via = Via.OTHER,
    issue: int | None = None,
) -> Subscriber:
    """The subscriber leaves for `status` (unsubscribed, bounced, complained) at `at`.

    A stronger reason already recorded stays (a bounce is not turned into an unsubscribe),
    and a leave dated before their last (re)subscription is ignored: late or retried
    provider events cannot undo a resubscription. `via` and `issue` go into the list's
    history (the issue defaults to the last one they were sent).
    """
    found = _get(store, subscriber_id)
    if found.confirmed_at is not None and at < found.confirmed_at:
        return found
    if not stronger(status, found.status):
        return found
    return _move(store, subscriber_id, status, at, via, issue)


def unsubscribe(
    store: SubscriberBook, email: str, *, now: dt.datetime | None = None, via: Via = Via.CLI
) -> tuple[Subscriber, bool]:
    """Unsubscribe `email`; returns the subscriber and whether anything changed."""
    found = _require(store, email)
    now = store.clock() if now is None else now
    left = leave(store, found.id, Status.UNSUBSCRIBED, now, via=via)
    return left, left != found


def _move(
    store: Subscribers,
    subscriber_id: int,
    status: Status,
    at: dt.datetime,
    via: Via,
    issue: int | None = None,
) -> Subscriber:
    found = _get(store, subscriber_id)
    changed = with_status(found, status, at)
    if changed != found:
        store.update_subscriber(changed, via=via, issue=issue)
    return changed


def _get(store: Subscribers, subscriber_id: int) -> Subscriber:
    found = store.get_subscriber(subscriber_id)
    if found is None:
        raise SubscriberError(f"no subscriber with id {subscriber_id}", email="")
    return found


def remove(store: SubscriberBook, email: str) -> int:
    """Erase the person and their delivery history; returns how many delivery rows went."""
    found = _require(store, email)
    erased = store.delete_subscriber(found.id)
    return erased or 0


def list_subscribers(
    store: SubscriberBook,
    *,
    status: Status | None = None,
    search: str | None = None,
    limit: int = 50,
) -> list[Subscriber]:
    """Up to `limit` subscribers, oldest first; `search` matches the address or the name."""
    return store.find_subscribers(status=status, search=(search or "").strip() or None, limit=limit)


@dataclass(frozen=True, slots=True)
class Stats:
    counts: dict[Status, int]
    weeks: list[GrowthWeek]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def stats(store: ListStats, *, weeks: int = 8, now: dt.datetime | None = None) -> Stats:
    """Counts by status, and the list's growth in each of the last `weeks` ISO weeks: joins
    (becoming active: added, imported, confirmed, back), leaves by reason, size at the end."""
    now = store.clock() if now is None else now
    found = store.count_subscribers_by_status()
    counts = {status: found.get(status.value, 0) for status in Status}
    span = last_weeks(now, weeks)
    changes = store.list_changes_since(week_start(span[0]))
    return Stats(counts, growth(changes, counts[Status.ACTIVE], span))
