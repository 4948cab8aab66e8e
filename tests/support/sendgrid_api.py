"""The SendGrid v3 API of the test server, without HTTP: a request in, a reply out.

Operations: POST /v3/mail/send, POST /v3/mail/batch, GET /v3/mail/batch/{batch_id},
POST|GET /v3/user/scheduled_sends, GET|PATCH|DELETE /v3/user/scheduled_sends/{batch_id}.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.support.sendgrid_limits import Limits, scan_mail
from tests.support.sendgrid_records import (
    Accepted,
    Batch,
    Delivery,
    iter_deliveries,
    pack_recipients,
)
from tests.support.sendgrid_schema import (
    ApiError,
    MailValidator,
    Mode,
    api_error,
    scheduled_send_validator,
    schema_errors,
)

__all__ = ["CANCEL_LEAD", "Reply", "Request", "SendGridApi", "error_reply", "json_reply"]

CANCEL_LEAD = 600.0  # a batch cannot be cancelled less than 10 minutes before it goes out
_ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Request:
    """One HTTP request: header names in lower case; body None when it was too large."""

    method: str
    path: str  # without the query string
    headers: Mapping[str, str]
    body: bytes | None


@dataclass(frozen=True)
class Reply:
    """One HTTP answer."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def json_reply(status: int, value: Any, headers: Mapping[str, str] | None = None) -> Reply:
    body = json.dumps(value).encode()
    return Reply(status, body, {"Content-Type": "application/json", **(headers or {})})


def error_reply(status: int, *errors: ApiError, headers: Mapping[str, str] | None = None) -> Reply:
    """SendGrid's error shape: {"errors": [{"message", "field", "help"}]}."""
    return json_reply(status, {"errors": list(errors)}, headers)


def _not_found() -> Reply:
    return error_reply(404, api_error("not found"))


def _parse_json(body: bytes | None) -> tuple[Any, Reply | None]:
    if body is None:
        return None, error_reply(413, api_error("content too large"))
    try:
        return json.loads(body), None
    except ValueError as exc:
        return None, error_reply(400, api_error(f"Invalid JSON: {exc}"))


Handler = Callable[[Request, str | None], Reply]


class SendGridApi:
    """The API state and operations; `now` is the clock (unix seconds), replaceable."""

    def __init__(
        self,
        *,
        api_key: str,
        forbidden_key: str | None,
        validate: Mode,
        keep_bodies: bool,
        limits: Limits,
        now: Callable[[], float] = time.time,
        sample_size: int = 8,
        seed: int | None = None,
    ) -> None:
        self.api_key = api_key
        self.forbidden_key = forbidden_key
        self.keep_bodies = keep_bodies
        self.limits = limits
        self.now = now
        self.validator = MailValidator(validate, sample_size, seed)
        self._lock = threading.Lock()
        self._accepted: list[Accepted] = []
        self._batches: dict[str, Batch] = {}
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (re.compile(r"/v3/mail/send"), {"POST": self._mail_send}),
            (re.compile(r"/v3/mail/batch"), {"POST": self._create_batch}),
            (re.compile(r"/v3/mail/batch/([^/]+)"), {"GET": self._get_batch}),
            (
                re.compile(r"/v3/user/scheduled_sends"),
                {"POST": self._create_scheduled, "GET": self._list_scheduled},
            ),
            (
                re.compile(r"/v3/user/scheduled_sends/([^/]+)"),
                {
                    "GET": self._get_scheduled,
                    "PATCH": self._patch_scheduled,
                    "DELETE": self._resume,
                },
            ),
        ]

    # -- recorded data -------------------------------------------------------------------

    @property
    def accepted(self) -> list[Accepted]:
        """The Mail Send requests answered 202, oldest first (a copy)."""
        with self._lock:
            return list(self._accepted)

    @property
    def recipient_count(self) -> int:
        """Recipients of all accepted requests, cancelled batches included."""
        with self._lock:
            return sum(record.recipient_count for record in self._accepted)

    def cancelled_batches(self) -> set[str]:
        with self._lock:
            return {b.batch_id for b in self._batches.values() if b.status == "cancel"}

    def iter_delivered(self) -> Iterator[Delivery]:
        """Like delivered(), one at a time (for a million recipients)."""
        return iter_deliveries(self.accepted, self.cancelled_batches())

    def delivered(self) -> list[Delivery]:
        """(address_lower, custom_args, batch_id) of the mail that would really go out:
        every recipient of an accepted request whose batch was not cancelled."""
        return list(self.iter_delivered())

    def batch(self, batch_id: str) -> Batch | None:
        """The issued batch `batch_id` (a snapshot), or None."""
        with self._lock:
            found = self._batches.get(batch_id)
            return None if found is None else Batch(**vars(found))

    def new_batch_id(self) -> str:
        """Issue a batch ID, as POST /v3/mail/batch does."""
        batch_id = "".join(secrets.choice(_ALNUM) for _ in range(32))
        with self._lock:
            self._batches[batch_id] = Batch(batch_id)
        return batch_id

    # -- dispatch ------------------------------------------------------------------------

    def authorize(self, request: Request) -> Reply | None:
        """401 without the valid key, 403 with the forbidden one, else None."""
        auth = request.headers.get("authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() == "bearer" and key and key == self.forbidden_key:
            return error_reply(403, api_error("access forbidden"))
        if scheme.lower() != "bearer" or key != self.api_key:
            return error_reply(401, api_error("authorization required"))
        return None

    def dispatch(self, request: Request) -> Reply:
        """The reply of the operation `request` addresses (404 or 405 if none)."""
        for pattern, methods in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = methods.get(request.method)
            if handler is None:
                return error_reply(405, api_error("method not allowed"))
            return handler(request, match.group(1) if match.groups() else None)
        return _not_found()

    # -- mail send -----------------------------------------------------------------------

    def _mail_send(self, request: Request, _: str | None) -> Reply:
        body, bad = _parse_json(request.body)
        if bad is not None:
            return bad
        if not isinstance(body, dict):
            return error_reply(400, api_error("The request body must be a JSON object."))
        scan = scan_mail(body, self.limits, self.now(), self._batches)
        errors = scan.errors or self.validator.errors(body)
        if errors:
            return error_reply(400, *errors)
        if (body.get("mail_settings") or {}).get("sandbox_mode", {}).get("enable"):
            return Reply(200)
        message_id = secrets.token_urlsafe(16)
        record = Accepted(
            message_id=message_id,
            batch_id=body.get("batch_id"),
            send_at=scan.earliest_send_at,
            accepted_at=self.now(),
            recipient_count=len(scan.recipients),
            body=body if self.keep_bodies else None,
            packed=pack_recipients(scan.recipients),
        )
        self._record(record)
        return Reply(202, headers={"X-Message-Id": message_id})

    def _record(self, record: Accepted) -> None:
        with self._lock:
            self._accepted.append(record)
            if record.batch_id is not None:
                send_time = record.accepted_at if record.send_at is None else record.send_at
                self._batches[record.batch_id].add(send_time)

    # -- mail batch ----------------------------------------------------------------------

    def _create_batch(self, request: Request, _: str | None) -> Reply:
        return json_reply(201, {"batch_id": self.new_batch_id()})

    def _get_batch(self, request: Request, batch_id: str | None) -> Reply:
        if batch_id is None or batch_id not in self._batches:
            return error_reply(400, api_error("invalid batch id"))
        return json_reply(200, {"batch_id": batch_id})

    # -- scheduled sends -----------------------------------------------------------------

    def _status_body(self, request: Request, method: str) -> tuple[dict[str, Any], Reply | None]:
        body, bad = _parse_json(request.body)
        if bad is not None:
            return {}, bad
        validator = scheduled_send_validator("post" if method == "POST" else "patch")
        errors = schema_errors(validator, body)
        return (body, None) if not errors else ({}, error_reply(400, *errors))

    def _too_late(self, batch: Batch, status: str) -> Reply | None:
        if status != "cancel" or batch.earliest_send_at is None:
            return None
        left = batch.earliest_send_at - self.now()
        if left >= CANCEL_LEAD:
            return None
        message = (
            "Cannot cancel: the mail of this batch goes out in less than 10 minutes "
            f"({left:.0f} s)."
        )
        return error_reply(400, api_error(message, "batch_id"))

    def _create_scheduled(self, request: Request, _: str | None) -> Reply:
        body, bad = self._status_body(request, "POST")
        if bad is not None:
            return bad
        with self._lock:
            batch = self._batches.get(body["batch_id"])
            if batch is None:
                return error_reply(400, api_error("invalid batch id", "batch_id"))
            if batch.status is not None:
                message = f"batch already has status {batch.status!r}: use PATCH or DELETE"
                return error_reply(400, api_error(message, "batch_id"))
            refused = self._too_late(batch, body["status"])
            if refused is not None:
                return refused
            batch.status = body["status"]
            return json_reply(201, batch.as_status())

    def _list_scheduled(self, request: Request, _: str | None) -> Reply:
        with self._lock:
            statuses = [b.as_status() for b in self._batches.values() if b.status]
        return json_reply(200, statuses)

    def _get_scheduled(self, request: Request, batch_id: str | None) -> Reply:
        with self._lock:
            batch = self._batches.get(batch_id or "")
            if batch is None:
                return error_reply(404, api_error("batch id not found", "batch_id"))
            return json_reply(200, [batch.as_status()] if batch.status else [])

    def _patch_scheduled(self, request: Request, batch_id: str | None) -> Reply:
        body, bad = self._status_body(request, "PATCH")
        if bad is not None:
            return bad
        with self._lock:
            batch = self._batches.get(batch_id or "")
            if batch is None or batch.status is None:
                return error_reply(404, api_error("no scheduled send status for this batch id"))
            refused = self._too_late(batch, body["status"])
            if refused is not None:
                return refused
            batch.status = body["status"]
        return Reply(204)

    def _resume(self, request: Request, batch_id: str | None) -> Reply:
        with self._lock:
            batch = self._batches.get(batch_id or "")
            if batch is None or batch.status is None:
                return error_reply(404, api_error("no scheduled send status for this batch id"))
            batch.status = None
        return Reply(204)
