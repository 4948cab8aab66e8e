"""What readers did with an issue, as typed values: the provider's events (delivered, opened,
clicked, bounced …), what a click was on, and how people joined and left the list. No I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """SendGrid's Event Webhook kinds, as kept in the store."""

    PROCESSED = "processed"
    DELIVERED = "delivered"
    DEFERRED = "deferred"
    BOUNCE = "bounce"  # detail says hard (type "bounce") or soft (type "blocked")
    DROPPED = "dropped"
    SPAMREPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    GROUP_UNSUBSCRIBE = "group_unsubscribe"
    OPEN = "open"
    CLICK = "click"
    OTHER = "other"  # a kind SendGrid may add later: kept, counted nowhere


class LinkKind(StrEnum):
    """What a clicked link was: a paper's (arXiv, PDF, Hugging Face), a promo's, the view in
    browser, the unsubscribe link, or something else."""

    PAPER = "paper"
    PROMO = "promo"
    VIEW = "view"
    UNSUBSCRIBE = "unsubscribe"
    VOTE = "vote"  # a paper's "useful" / "not for me": the vote is counted on its page, not here
    OTHER = "other"


class Via(StrEnum):
    """How someone joined or left the list."""

    ONE_CLICK = "one-click"  # the List-Unsubscribe header's RFC 8058 post, from a mail client
    PAGE = "page"  # the button on the unsubscribe page
    WEBHOOK = "webhook"  # SendGrid said so: unsubscribe, bounce, spam report
    CLI = "cli"
    IMPORT = "import"
    WEB = "web"  # confirmed a sign-up, or came back, on the web
    OTHER = "other"


BOUNCE_HARD, BOUNCE_SOFT = "hard", "soft"


@dataclass(frozen=True, slots=True)
class Target:
    """What a click counts for: a paper (key: arXiv id; section), a promo (key: its name)."""

    kind: LinkKind
    key: str | None = None
    section: str | None = None


@dataclass(frozen=True, slots=True)
class EmailEvent:
    """One provider event, read and attributed, as the store keeps it."""

    key: str  # SendGrid's sg_event_id, or a digest of the event: the same event is kept once
    kind: EventKind
    occurred_at: dt.datetime
    issue: int | None = None
    subscriber: int | None = None
    email: str = ""  # to find the subscriber when custom_args are missing; not stored
    url: str | None = None  # clicks: the link as written in the email
    target: Target | None = None  # clicks: what the link was
    machine: bool = False  # opens: Apple Mail Privacy Protection fetched it, not a reader
    detail: str | None = None  # bounces: hard or soft; drops: the reason


@dataclass(frozen=True, slots=True)
class ListChange:
    """Someone joined (became active) or left the list (reason: the status they left for)."""

    subscriber_id: int | None
    joined: bool
    reason: str
    via: Via
    at: dt.datetime
    issue: int | None = None  # for leaving: the last issue they were sent
