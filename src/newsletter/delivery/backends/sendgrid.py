"""The SendGrid backend, through the official `sendgrid` client.

SendGrid has no idempotency key, so a request whose answer is lost (timeout, dropped
connection, 5xx) might have been accepted. Every batch is therefore sent with a
`batch_id` and a `send_at` some minutes ahead: until 10 minutes before `send_at`
SendGrid lets a batch be cancelled, so an unknown outcome is settled by cancelling the
batch and sending its people again under a new batch.
"""

from __future__ import annotations

import email.utils
import json
import random
import socket
import time
import urllib.error
from collections.abc import Callable, Sequence
from functools import partial
from http.client import HTTPException
from typing import Any

import sendgrid
from python_http_client.exceptions import HTTPError

from newsletter.delivery.backends import Outcome, Recovery, Settle
from newsletter.delivery.message import LIST_UNSUBSCRIBE_POST, Envelope, Personal
from newsletter.domain.delivery import Batch
from newsletter.errors import SendError, UnsettledError

NETWORK_ERRORS = (
    urllib.error.URLError,
    HTTPException,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)
MAX_PERSONALIZATIONS = 1000


class SendGridBackend:
    name = "sendgrid"
    per_message = False

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "https://api.sendgrid.com",
        timeout: float = 30.0,
        send_delay: int = 15 * 60,
        retries: int = 5,
        batch_size: int = MAX_PERSONALIZATIONS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.client = sendgrid.SendGridAPIClient(api_key=api_key, host=host).client
        self.client.timeout = timeout  # the client has no timeout of its own by default
        self.send_delay = send_delay
        self.retries = retries
        self.batch_size = min(batch_size, MAX_PERSONALIZATIONS)
        self.sleep, self.clock, self.rng = sleep, clock, rng or random.Random()

    def new_batch_id(self) -> str:
        response = self._call(lambda: self.client.mail.batch.post(), "create a batch")
        return str(json.loads(response.body)["batch_id"])

    def send_at(self) -> int:
        return int(self.clock()) + self.send_delay

    def send(
        self,
        envelope: Envelope,
        batch: Batch,
        people: Sequence[Personal],
        settle: Settle | None = None,
    ) -> Outcome:
        body = request_body(envelope, people, batch_id=batch.batch_id, send_at=batch.send_at)
        try:
            response = self._call(lambda: self.client.mail.send.post(request_body=body), "send")
        except _Refused as exc:
            return Outcome(refused=str(exc))
        except _Unknown as exc:
            if self._cancel(batch.batch_id):
                return Outcome(requeue=f"{exc}; the batch was cancelled")
            raise UnsettledError(
                f"batch {batch.batch_id}: {exc}; it could not be cancelled, so it stays in flight"
            ) from exc
        return Outcome(accepted=True, provider_id=response.headers.get("X-Message-Id"))

    def recover(self, batch: Batch) -> Recovery:
        if self._cancel(batch.batch_id):
            return Recovery(requeue=True)
        return Recovery(
            unknown="SendGrid would not cancel it (less than 10 minutes before its send time); "
            "it has most likely gone out"
        )

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None:
        for who in people:  # one request each: a proof address may repeat across runs
            body = request_body(envelope, [who], batch_id=None, send_at=None)
            try:
                self._call(partial(self.client.mail.send.post, request_body=body), "send a proof")
            except (_Refused, _Unknown) as exc:
                raise SendError(
                    f"proof to {who.recipient.email}: {exc}", email=who.recipient.email
                ) from exc

    def close(self) -> None:
        pass

    def _cancel(self, batch_id: str) -> bool:
        """Cancel the batch; True also when an earlier run already did (a crash can come
        between SendGrid cancelling and our recording it)."""
        body = {"batch_id": batch_id, "status": "cancel"}
        try:
            self._call(lambda: self.client.user.scheduled_sends.post(request_body=body), "cancel")
            return True
        except (_Refused, _Unknown):
            return self._already_cancelled(batch_id)

    def _already_cancelled(self, batch_id: str) -> bool:
        try:
            response = self._call(
                lambda: self.client.user.scheduled_sends._(batch_id).get(), "check"
            )
            statuses = json.loads(response.body or b"[]")
        except (_Refused, _Unknown, ValueError):
            return False
        return any(isinstance(s, dict) and s.get("status") == "cancel" for s in statuses)

    def _call(self, request: Callable[[], Any], what: str) -> Any:
        """One API call: 429 waits as told and retries; 401/403 stop; other 4xx are refusals.

        5xx, timeouts and dropped connections are retried with backoff for calls that
        are safe to repeat; for `send` they are an unknown outcome, left to the caller.
        """
        for attempt in range(self.retries + 1):
            try:
                return request()
            except HTTPError as exc:
                status = exc.status_code
                if status in (401, 403):
                    raise SendError(
                        f"SendGrid refused the API key ({status}) while trying to {what}",
                        status=status,
                        hint="check SENDGRID_API_KEY",
                    ) from exc
                if status == 429 and attempt < self.retries:
                    self.sleep(self._rate_wait(exc.headers, attempt))
                    continue
                if status < 500 or status == 429:
                    raise _Refused(f"HTTP {status}: {_errors(exc.body)}") from exc
                failure = f"HTTP {status} from SendGrid"
            except NETWORK_ERRORS as exc:
                failure = f"{type(exc).__name__}: {exc}"
            if what == "send" or attempt == self.retries:
                raise _Unknown(failure)
            self.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")

    def _rate_wait(self, headers: Any, attempt: int) -> float:
        """Retry-After (seconds or a date), else X-RateLimit-Reset (epoch), else backoff."""
        retry_after = headers.get("Retry-After") if headers else None
        if retry_after:
            if retry_after.strip().isdigit():
                return float(retry_after)
            when = email.utils.parsedate_to_datetime(retry_after)
            return max(0.0, when.timestamp() - self.clock())
        reset = headers.get("X-RateLimit-Reset") if headers else None
        if reset and reset.strip().isdigit():
            return max(0.0, float(reset) - self.clock())
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return self.rng.uniform(0, min(30.0, 0.5 * 2**attempt))  # full jitter


def request_body(
    envelope: Envelope, people: Sequence[Personal], *, batch_id: str | None, send_at: int | None
) -> dict[str, Any]:
    """The v3 mail/send body: one personalization per person, each address once."""
    s = envelope.sender
    body: dict[str, Any] = {
        "from": {"email": s.from_email, "name": s.from_name}
        if s.from_name
        else {"email": s.from_email},
        "subject": envelope.subject,
        "content": [
            {"type": "text/plain", "value": envelope.text},
            {"type": "text/html", "value": envelope.html},
        ],
        "personalizations": [_personalization(envelope, who) for who in people],
        "categories": ["newsletter", envelope.category],
    }
    if batch_id:
        body["batch_id"] = batch_id
    if send_at:
        body["send_at"] = send_at
    return body


def _personalization(envelope: Envelope, who: Personal) -> dict[str, Any]:
    r, name = who.recipient, who.name
    return {
        "to": [{"email": r.email, "name": name} if name else {"email": r.email}],
        "substitutions": who.substitutions(),
        "headers": {
            "List-Unsubscribe": who.list_unsubscribe,
            "List-Unsubscribe-Post": LIST_UNSUBSCRIBE_POST,
        },
        "custom_args": {"issue": str(envelope.issue_number), "subscriber": str(r.subscriber_id)},
    }


def _errors(body: bytes | str | None) -> str:
    """SendGrid's own error messages, one line."""
    try:
        data = json.loads(body or b"{}")
        messages = [
            f"{e.get('field') + ': ' if e.get('field') else ''}{e.get('message')}"
            for e in data["errors"]
        ]
        return "; ".join(messages)
    except (ValueError, KeyError, TypeError, AttributeError):
        return (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body))[:300]


class _Refused(Exception):
    """SendGrid answered and did not take the request."""


class _Unknown(Exception):
    """No answer: SendGrid may or may not have taken the request."""
