"""A subscriber as a typed value, and the rules about statuses that everything shares:
who counts as gone, which reason to leave is stronger, what a status change stamps, and
which change is a join or a leave of the list (with its reason). Addresses are checked and
normalised here too (offline, no DNS). No I/O.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email

from newsletter.characters import visible
from newsletter.domain.events import ListChange, Via
from newsletter.errors import SubscriberError


class Status(StrEnum):
    PENDING = "pending"  # signed up on the web, not confirmed yet
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


# How strongly a status says "send nothing". A reason to leave only ever replaces a weaker
# one: a bounce is not undone by an unsubscribe click, nor a spam complaint by a bounce.
LEAVE_RANK = {
    Status.PENDING: 0,
    Status.ACTIVE: 0,
    Status.UNSUBSCRIBED: 1,
    Status.BOUNCED: 2,
    Status.COMPLAINED: 3,
}
# People who left the list: nothing but an explicit resubscription brings them back.
GONE = frozenset(status for status, rank in LEAVE_RANK.items() if rank > 0)


def stronger(leaving: Status, current: Status) -> bool:
    """Whether leaving for `leaving` says more than `current` already does."""
    return LEAVE_RANK[leaving] > LEAVE_RANK[current]


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

# What an import plan decides for one batch: rows to insert, stored rows to rewrite.
Changes = tuple[Sequence[SubscriberData], Sequence[Subscriber]]


def normalise_email(raw: str) -> str:
    """The address in canonical form, checked offline: the domain lowercased and, when it is
    internationalised, in its ASCII (IDNA) form, so that every backend can send to it.

    A non-ASCII part before the @ needs SMTPUTF8, which not every mail server speaks: such
    addresses are refused here, with the reason, rather than failing at send time.
    """
    text = raw.strip()
    if not text:
        raise SubscriberError("missing email address", email=raw)
    plain = _plain_address(text)
    if plain:
        return plain
    if not text.partition("@")[0].isascii():
        raise SubscriberError(
            f"not a deliverable address: {_shown(text)}: letters other than ASCII before the @",
            email=raw,
            hint="use an address with only ASCII letters, digits and .-_+ before the @",
        )
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise SubscriberError(
            f"not a valid email address: {_shown(text)}: {exc}", email=raw
        ) from None
    return checked.ascii_email or checked.normalized


def mailbox_key(address: str) -> str:
    """The mailbox an address delivers to, for counting mails to it: lower case, without a
    +tag, and without dots for Gmail, so victim+1@… and v.ictim@gmail.com count as one."""
    local, _, domain = address.lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _shown(text: str) -> str:
    """An address as an error message may quote it: printable, bounded."""
    return repr(_CONTROL.sub("", text)[:200])


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
        return validate_email(f"x@{domain}", check_deliverability=False).ascii_domain
    except EmailNotValidError:
        return None  # the full check says why


# C0 and C1 control characters (NUL, escape sequences, …): nothing a name or address needs,
# and a terminal or a mail header would act on them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _tidy(name: str) -> bool:
    return name[0] != " " and name[-1] != " " and "  " not in name


def clean_name(name: str | None) -> str | None:
    """A display name on one line with single spaces, no control characters and nothing
    invisible that reorders or hides text (bidi overrides, zero-width spaces), or None."""
    if name and len(name) <= 200 and name.isprintable() and _tidy(name):
        return name  # already clean (the common case: names are cleaned when stored)
    cleaned = " ".join(_CONTROL.sub(" ", visible(name or "")).split())
    return cleaned[:200] or None


def with_status(sub: S, status: Status, at: dt.datetime) -> S:
    """`sub` moved to `status` at `at`: activation confirms, leaving stamps the first leave."""
    if sub.status == status:
        return sub
    if status is Status.ACTIVE:
        return dataclasses.replace(
            sub, status=status, confirmed_at=at, unsubscribed_at=None, updated_at=at
        )
    if status in GONE:
        left = sub.unsubscribed_at if sub.status in GONE else None
        return dataclasses.replace(sub, status=status, unsubscribed_at=left or at, updated_at=at)
    return dataclasses.replace(sub, status=status, updated_at=at)


def list_change(
    subscriber_id: int,
    before: Status | None,
    after: SubscriberData,
    via: Via,
    issue: int | None = None,
) -> ListChange | None:
    """The list's history of a change from `before` (None: new) to `after`: becoming active is a
    join (new, confirmed or returned), going from active to a gone status a leave for that
    status (naming the issue that caused it, if known); anything else is neither."""
    if after.status is Status.ACTIVE and before is not Status.ACTIVE:
        reason = (
            "new" if before is None else "confirmed" if before is Status.PENDING else "returned"
        )
        return ListChange(subscriber_id, True, reason, via, after.confirmed_at or after.updated_at)
    if before is Status.ACTIVE and after.status in GONE:
        at = after.unsubscribed_at or after.updated_at
        return ListChange(subscriber_id, False, after.status.value, via, at, issue)
    return None


def erasure(subscriber_id: int, status: Status, via: Via, at: dt.datetime) -> ListChange | None:
    """Erasing someone who was active is a leave of the list ("erased"); anyone else's, none."""
    if status is not Status.ACTIVE:
        return None
    return ListChange(subscriber_id, False, "erased", via, at)


def link_is_spent(sub: Subscriber, issued_at: dt.datetime | None) -> bool:
    """A confirmation link works once: it is spent if they have confirmed since it was issued
    (an old link must not bring back someone who left afterwards)."""
    if issued_at is None:  # confirm links always carry their time
        return True
    return sub.confirmed_at is not None and sub.confirmed_at >= issued_at
