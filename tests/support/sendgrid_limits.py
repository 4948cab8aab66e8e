"""SendGrid's documented Mail Send limits, which the OpenAPI schema does not (fully) express.

One pass over the personalizations checks the limits, the shape the pass relies on (so a
"sample" validation still rejects a malformed recipient anywhere in the body), and collects
the recipients: (lower-cased address, effective custom_args) for each to/cc/bcc entry, where
the effective custom_args are the top-level ones overridden by the personalization's.

Sizes: `custom_args` is measured as its compact UTF-8 JSON (the effective object of each
personalization, and the top-level one); it must be under `max_custom_args_bytes`. A
personalization's `substitutions` (keys and values, measured the same way) may not exceed
`max_substitutions_bytes` ("The total collective size of your substitutions may not exceed
10,000 bytes per personalization object").
"""

from __future__ import annotations

import json
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from tests.support.sendgrid_schema import ApiError, api_error

__all__ = ["Limits", "Recipient", "Scan", "scan_mail"]

Recipient = tuple[str, dict[str, Any]]
KINDS = ("to", "cc", "bcc")
CONTENT_REQUIRED = (
    "Unless a valid template_id is provided, the content parameter is required. "
    "There must be at least one defined content block."
)
SUBJECT_REQUIRED = (
    "The subject is required. You can get around this requirement if you use a template "
    "with a subject defined or if every personalization has a subject defined."
)


@dataclass(frozen=True)
class Limits:
    """The limits enforced on POST /v3/mail/send (SendGrid's documented values by default)."""

    max_personalizations: int = 1000
    max_recipients: int = 1000  # to + cc + bcc over the whole request
    max_custom_args_bytes: int = 10_000  # exclusive
    max_substitutions_bytes: int = 10_000  # inclusive: "may not exceed"
    max_categories: int = 10
    max_body_bytes: int = 30_000_000  # exclusive; answered with 413
    max_schedule_ahead: float = 72 * 3600.0  # send_at at most this far ahead
    past_grace: float = 300.0  # send_at may be this far in the past


@dataclass
class Scan:
    """What one pass over a Mail Send body found."""

    errors: list[ApiError] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)
    earliest_send_at: int | None = None  # smallest send_at of the body, if any
    all_subjects: bool = True  # every personalization has its own subject


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _too_big(custom_args: dict[str, Any], limit: int) -> bool:
    """Whether the compact UTF-8 JSON of `custom_args` has `limit` bytes or more.

    A code point takes at most 6 bytes in JSON and at least one character of the repr, whose
    punctuation is no shorter than JSON's: a short repr settles it without encoding.
    """
    if 6 * len(repr(custom_args)) < limit:
        return False
    return len(_COMPACT.encode(custom_args).encode()) >= limit


def _where(index: int | None, name: str) -> str:
    return name if index is None else f"personalizations.{index}.{name}"


class _Pass:
    """The state of one scan: seen addresses and the body-wide values.

    Error fields are built only on errors: the pass runs over 1,000 personalizations a request.
    """

    def __init__(self, body: dict[str, Any], limits: Limits, now: float) -> None:
        self.limits = limits
        self.now = now
        self.scan = Scan()
        self.seen: set[str] = set()
        self.top_args = self.as_dict(body.get("custom_args"), None, "custom_args")
        self.top_send_at = body.get("send_at")

    def error(self, message: str, index: int | None, name: str) -> None:
        self.scan.errors.append(api_error(message, _where(index, name)))

    def as_dict(self, value: Any, index: int | None, name: str) -> dict[str, Any]:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.error("must be an object", index, name)
        return {}

    def send_at(self, value: Any, index: int | None) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            self.error("send_at must be an integer unix timestamp", index, "send_at")
            return
        if value > self.now + self.limits.max_schedule_ahead:
            self.error(
                "send_at cannot be scheduled more than 72 hours in advance", index, "send_at"
            )
        elif value < self.now - self.limits.past_grace:
            self.error("send_at is in the past", index, "send_at")
        earliest = self.scan.earliest_send_at
        self.scan.earliest_send_at = value if earliest is None else min(earliest, value)

    def address(self, entry: Any, index: int, kind: str) -> str | None:
        email = entry.get("email") if isinstance(entry, dict) else None
        if not isinstance(email, str) or "@" not in email:
            self.error("Does not contain a valid address.", index, kind)
            return None
        lower = email.lower()
        if lower in self.seen:
            message = (
                "Each email address in the personalization block should be unique between "
                f"to, cc, and bcc. We found the first duplicate instance of [{email}] in the "
                f"{_where(index, kind)} field."
            )
            self.error(message, index, kind)
            return None
        self.seen.add(lower)
        return lower

    def addresses(self, item: dict[str, Any], index: int) -> list[str]:
        if "to" not in item:
            self.error("The to array is required for all personalization objects.", index, "to")
        found: list[str] = []
        for kind in KINDS:
            entries = item.get(kind)
            if entries is None:
                continue
            if not isinstance(entries, list):
                self.error("must be an array", index, kind)
                continue
            for entry in entries:
                address = self.address(entry, index, kind)
                if address is not None:
                    found.append(address)
        return found

    def custom_args(self, item: dict[str, Any], index: int) -> dict[str, Any]:
        own = self.as_dict(item.get("custom_args"), index, "custom_args")
        if not own:
            return self.top_args
        effective = {**self.top_args, **own} if self.top_args else own
        limit = self.limits.max_custom_args_bytes
        if _too_big(effective, limit):
            self.error(f"custom_args must be less than {limit} bytes", index, "custom_args")
        return effective

    def personalization(self, item: Any, index: int) -> None:
        if not isinstance(item, dict):
            self.scan.errors.append(api_error("must be an object", f"personalizations.{index}"))
            return
        addresses = self.addresses(item, index)
        args = self.custom_args(item, index)
        substitutions = self.as_dict(item.get("substitutions"), index, "substitutions")
        limit = self.limits.max_substitutions_bytes
        if substitutions and _too_big(substitutions, limit + 1):
            self.error(f"substitutions may not exceed {limit} bytes", index, "substitutions")
        self.send_at(item.get("send_at"), index)
        self.scan.all_subjects = self.scan.all_subjects and bool(item.get("subject"))
        self.scan.recipients += [(address, args) for address in addresses]


def _envelope_errors(body: dict[str, Any], state: _Pass, batches: Container[str]) -> None:
    limits, errors = state.limits, state.scan.errors
    items = body.get("personalizations")
    if not isinstance(items, list) or not items:
        message = (
            "The personalizations field is required and must have at least one personalization."
        )
        errors.append(api_error(message, "personalizations"))
    elif len(items) > limits.max_personalizations:
        message = f"You may not have more than {limits.max_personalizations} personalizations per request."
        errors.append(api_error(message, "personalizations"))
    if len(state.scan.recipients) > limits.max_recipients:
        message = f"The total number of recipients (to, cc and bcc) must be no more than {limits.max_recipients}."
        errors.append(api_error(message, "personalizations"))
    categories = body.get("categories")
    if isinstance(categories, list) and len(categories) > limits.max_categories:
        message = f"You may not have more than {limits.max_categories} categories per request."
        errors.append(api_error(message, "categories"))
    if state.top_args and _too_big(state.top_args, limits.max_custom_args_bytes):
        message = f"custom_args must be less than {limits.max_custom_args_bytes} bytes"
        errors.append(api_error(message, "custom_args"))
    batch_id = body.get("batch_id")
    if batch_id is not None and (not isinstance(batch_id, str) or batch_id not in batches):
        errors.append(api_error("invalid batch id", "batch_id"))


def _template_errors(body: dict[str, Any], scan: Scan) -> None:
    if body.get("template_id"):
        return
    if not body.get("content"):
        scan.errors.append(api_error(CONTENT_REQUIRED, "content"))
    if not body.get("subject") and not scan.all_subjects:
        scan.errors.append(api_error(SUBJECT_REQUIRED, "subject"))


def scan_mail(body: dict[str, Any], limits: Limits, now: float, batches: Container[str]) -> Scan:
    """Check the limits of a Mail Send body and collect its recipients."""
    state = _Pass(body, limits, now)
    items = body.get("personalizations")
    if isinstance(items, list):
        for index, item in enumerate(items):
            state.personalization(item, index)
    state.send_at(state.top_send_at, None)
    _envelope_errors(body, state, batches)
    _template_errors(body, state.scan)
    return state.scan
