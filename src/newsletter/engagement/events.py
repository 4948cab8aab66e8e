"""SendGrid's Event Webhook events, read: each one a typed EmailEvent with its key, time,
issue and subscriber (the custom_args sending set), and for clicks what the link was on.
Everything in an event is a stranger's text: sizes are bounded, types checked. No I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from newsletter.domain.events import BOUNCE_HARD, BOUNCE_SOFT, EmailEvent, EventKind
from newsletter.domain.subscriber import Status
from newsletter.engagement.links import LinkMap, stored_url

KINDS = {k.value: k for k in EventKind if k is not EventKind.OTHER}
EMAIL_LIMIT, DETAIL_LIMIT = 320, 200
# Drops that are about the address; "Spam Content" and the like are about the message.
DROPPED = {
    "bounced address": Status.BOUNCED,
    "invalid": Status.BOUNCED,
    "spam reporting address": Status.COMPLAINED,
    "unsubscribed address": Status.UNSUBSCRIBED,
}
STAMP_OF = {
    EventKind.DELIVERED: "delivered_at",
    EventKind.OPEN: "opened_at",
    EventKind.CLICK: "clicked_at",
}
STAMP_OF_STATUS = {Status.BOUNCED: "bounced_at", Status.COMPLAINED: "complained_at"}


def read_event(
    raw: dict[str, Any], now: dt.datetime, links: Callable[[int | None], LinkMap]
) -> EmailEvent:
    """One event as the store keeps it; `links` gives the link map of the issue it names."""
    kind = KINDS.get(str(raw.get("event")), EventKind.OTHER)
    issue, subscriber = audience(raw)
    url, target = None, None
    if kind is EventKind.CLICK and isinstance(raw.get("url"), str):
        target = links(issue).attribute(raw["url"])
        url = stored_url(raw["url"], target)
    email = raw.get("email")
    return EmailEvent(
        key=event_key(raw),
        kind=kind,
        occurred_at=event_time(raw, now),
        issue=issue,
        subscriber=subscriber,
        email=email.strip().lower()[:EMAIL_LIMIT] if isinstance(email, str) else "",
        url=url,
        target=target,
        machine=kind is EventKind.OPEN and raw.get("sg_machine_open") in (True, "true"),
        detail=_detail(kind, raw),
    )


def audience(raw: dict[str, Any]) -> tuple[int | None, int | None]:
    """The issue and subscriber an event's custom_args name, as one of the issue's audience.

    Proofs, confirmations and notices say what they are (`mail`) instead, and those sent
    before they did carry issue 0 or subscriber 0: all of them belong to no issue, so they
    are never counted in its report, and retention drops them with the other loose events.
    """
    issue, subscriber = int_arg(raw.get("issue")), int_arg(raw.get("subscriber"))
    if raw.get("mail") not in (None, "issue") or issue == 0 or subscriber == 0:
        return None, subscriber or None
    return issue, subscriber


def effect(event: EmailEvent) -> tuple[Status | None, str | None]:
    """What an event does: the status it moves the subscriber to, the delivery column it
    stamps (a soft bounce, a drop about the message and most kinds do neither)."""
    if event.kind in STAMP_OF:
        return None, STAMP_OF[event.kind]
    if event.kind is EventKind.BOUNCE:
        return (Status.BOUNCED, "bounced_at") if event.detail == BOUNCE_HARD else (None, None)
    if event.kind is EventKind.DROPPED:
        status = DROPPED.get((event.detail or "").strip().lower())
        return status, STAMP_OF_STATUS.get(status) if status else None
    if event.kind is EventKind.SPAMREPORT:
        return Status.COMPLAINED, "complained_at"
    if event.kind in (EventKind.UNSUBSCRIBE, EventKind.GROUP_UNSUBSCRIBE):
        return Status.UNSUBSCRIBED, None
    return None, None


def event_key(event: dict[str, Any]) -> str:
    """SendGrid's id for the event; for an event without one, a digest of its content, so
    that a replay of the same signed post is still recognised."""
    value = event.get("sg_event_id")
    if isinstance(value, str) and 0 < len(value) <= 200:
        return value
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def event_time(event: dict[str, Any], now: dt.datetime) -> dt.datetime:
    """When the event happened (never later than now); now if it does not say."""
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and 0 < stamp < 1e11:
        return min(dt.datetime.fromtimestamp(stamp, dt.UTC), now)
    return now


def int_arg(value: Any) -> int | None:
    """A custom_args id: SendGrid gives them back as strings of digits. Ids are 32-bit
    integer columns: anything larger names nothing of ours."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if number < 2**31 else None


def _detail(kind: EventKind, raw: dict[str, Any]) -> str | None:
    if kind is EventKind.BOUNCE:  # type "blocked" is a temporary refusal, not a dead address
        return BOUNCE_SOFT if raw.get("type") == "blocked" else BOUNCE_HARD
    if kind in (EventKind.DROPPED, EventKind.DEFERRED):
        reason = raw.get("reason")
        return reason[:DETAIL_LIMIT] if isinstance(reason, str) else None
    return None
