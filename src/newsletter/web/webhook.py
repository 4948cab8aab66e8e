"""SendGrid's signed Event Webhook: verify the signature, skip events already seen, apply.

SendGrid signs `timestamp + raw body` with ECDSA (P-256, SHA-256); the public key is shown
base64 DER in its settings. Only a body whose signature checks is read at all, and only
these effects follow from it: bounce and hard drops make the subscriber bounced, spam
reports complained, unsubscribes unsubscribed; delivered, open and click stamp the
delivery row named by the `custom_args` (issue, subscriber) that sending set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from newsletter.domain.subscriber import Status, Subscriber
from newsletter.store import Store
from newsletter.store.webhook_events import SeenEvent
from newsletter.subscribers.service import leave
from newsletter.web.base import deps
from newsletter.web.security import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookRejected, read_body

# SendGrid posts a batch every 30 seconds or once it reaches 768 KB: twice that is plenty.
BODY_LIMIT = 2 * 768 * 1024
KEEP_EVENT_IDS = dt.timedelta(days=7)  # SendGrid retries for 24 hours
_DROPPED = {
    "bounced address": Status.BOUNCED,
    "invalid": Status.BOUNCED,
    "spam reporting address": Status.COMPLAINED,
    "unsubscribed address": Status.UNSUBSCRIBED,
}
_COLUMN_OF = {Status.BOUNCED: "bounced_at", Status.COMPLAINED: "complained_at"}
_TRACKING = {"delivered": "delivered_at", "open": "opened_at", "click": "clicked_at"}


@dataclass(slots=True)
class EventReport:
    received: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0


async def sendgrid_events(request: Request) -> Response:
    """POST /webhooks/sendgrid."""
    d = deps(request)
    if d.webhook is None:  # SendGrid retries non-2xx for 24 hours: nothing is lost while unset
        return JSONResponse({"error": "webhook not configured (SENDGRID_WEBHOOK_PUBLIC_KEY)"}, 503)
    now = d.clock()
    signature, timestamp = (
        request.headers.get(SIGNATURE_HEADER),
        request.headers.get(TIMESTAMP_HEADER),
    )
    try:  # before reading a byte of the body: an unsigned or stale post costs us nothing
        d.webhook.check_headers(signature, timestamp, now.timestamp())
        body = await read_body(request, BODY_LIMIT)
        d.webhook.verify(body, signature, timestamp, now.timestamp())
    except WebhookRejected as exc:
        return JSONResponse({"error": str(exc)}, 401)
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return JSONResponse({"error": "body is not JSON"}, 400)
    if not isinstance(events, list):
        return JSONResponse({"error": "body is not a list of events"}, 400)
    report = await run_in_threadpool(apply_events, d.store, events, now)
    return JSONResponse(asdict(report))


def apply_events(store: Store, events: list[Any], now: dt.datetime) -> EventReport:
    """Apply each event not seen before, then remember their ids.

    Ids are remembered after the effects: a crash in between makes SendGrid retry, and
    every effect is idempotent, so nothing is lost and nothing doubles.
    """
    report = EventReport(received=len(events))
    seen = store.seen_events([i for e in events if (i := _event_id(e))])
    done: list[SeenEvent] = []
    for event in events:
        event_id = _event_id(event)
        if event_id and event_id in seen:
            report.duplicates += 1
            continue
        if not isinstance(event, dict):
            report.ignored += 1
            continue
        at = _event_time(event, now)
        if apply_event(store, event, at):
            report.applied += 1
        else:
            report.ignored += 1
        if event_id:
            seen.add(event_id)
            done.append(SeenEvent(event_id, str(event.get("event"))[:40], at))
    store.remember_events(done)
    store.forget_events(now - KEEP_EVENT_IDS)
    return report


def apply_event(store: Store, event: dict[str, Any], at: dt.datetime) -> bool:
    """One event's effects; False when it has none (soft bounces, unknown people, other kinds)."""
    status, column = classify(event)
    if status is None and column is None:
        return False
    sub = _subscriber(store, event)
    if sub is None:
        return False
    issue = _int_arg(event.get("issue"))
    if column and issue is not None and _int_arg(event.get("subscriber")) == sub.id:
        store.record_delivery_event(issue, sub.id, column, at)
    if status is not None:
        leave(store, sub.id, status, at)
    return True


def classify(event: dict[str, Any]) -> tuple[Status | None, str | None]:
    """What an event means: the status it moves the subscriber to, the delivery column it stamps."""
    kind = event.get("event")
    if kind in _TRACKING:
        return None, _TRACKING[str(kind)]
    if kind == "bounce":  # type "blocked" is a temporary refusal, not a dead address
        return (None, None) if event.get("type") == "blocked" else (Status.BOUNCED, "bounced_at")
    if kind == "dropped":  # only drops that are about the address; "Spam Content" is about us
        status = _DROPPED.get(str(event.get("reason", "")).strip().lower())
        return status, _COLUMN_OF.get(status) if status else None
    if kind == "spamreport":
        return Status.COMPLAINED, "complained_at"
    if kind in ("unsubscribe", "group_unsubscribe"):
        return Status.UNSUBSCRIBED, None
    return None, None


def _subscriber(store: Store, event: dict[str, Any]) -> Subscriber | None:
    """The subscriber named by custom_args if the address agrees, else the one with the address."""
    address = event.get("email")
    address = address.strip().lower() if isinstance(address, str) else ""
    subscriber_id = _int_arg(event.get("subscriber"))
    if subscriber_id is not None:
        found = store.get_subscriber(subscriber_id)
        if found is not None and (not address or found.email_key == address):
            return found
    return store.subscriber_by_email(address) if address else None


def _event_id(event: Any) -> str | None:
    """SendGrid's id for the event; for an event without one, a digest of its content, so
    that a replay of the same signed post is still recognised."""
    if not isinstance(event, dict):
        return None
    value = event.get("sg_event_id")
    if isinstance(value, str) and 0 < len(value) <= 200:
        return value
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _event_time(event: dict[str, Any], now: dt.datetime) -> dt.datetime:
    """When the event happened (never later than now); now if it does not say."""
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and 0 < stamp < 1e11:
        return min(dt.datetime.fromtimestamp(stamp, dt.UTC), now)
    return now


def _int_arg(value: Any) -> int | None:
    """A custom_args id: SendGrid gives them back as strings of digits."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) < 19 else None
