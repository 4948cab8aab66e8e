"""The SendGrid backend, through the official `sendgrid` client.

SendGrid has no idempotency key, so a request whose answer is lost (timeout, dropped
connection, 5xx) might have been accepted. Every batch is therefore sent with a
`batch_id` and a `send_at` some minutes ahead: until 10 minutes before `send_at`
SendGrid lets a batch be cancelled, so an unknown outcome is settled by cancelling the
batch and sending its people again under a new batch.
"""

from __future__ import annotations

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

from newsletter.delivery.backends import (
    Accepted,
    Outcome,
    Recovery,
    Refused,
    Requeued,
    Resend,
    Settle,
    Unknowable,
)
from newsletter.delivery.backends.sendgrid_body import TRACK_ALL, Tracking, body_json, write_batch
from newsletter.delivery.message import Envelope, Personal, Signer
from newsletter.delivery.pacing import Pacer
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

    def __init__(
        self,
        api_key: str,
        *,
        host: str = "https://api.sendgrid.com",
        timeout: float = 30.0,
        send_delay: int = 15 * 60,
        retries: int = 5,
        batch_size: int = MAX_PERSONALIZATIONS,
        concurrency: int = 8,
        tracking: Tracking = TRACK_ALL,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.client = sendgrid.SendGridAPIClient(api_key=api_key, host=host).client
        self.client.timeout = timeout  # the client has no timeout of its own by default
        # The client json-encodes a body only under a bare "application/json"; with the
        # charset named it sends our text as is (sendgrid_body.py writes it directly).
        self.client.request_headers["Content-Type"] = "application/json; charset=utf-8"
        self.tracking = tracking
        self.send_delay = send_delay
        self.retries = retries
        self.batch_size = min(batch_size, MAX_PERSONALIZATIONS)
        self.concurrency = concurrency
        self.sleep, self.clock = sleep, clock
        self.pacer = Pacer(concurrency=concurrency, clock=clock, sleep=sleep, rng=rng)

    def new_batch_id(self) -> str:
        try:
            response = self._call(lambda: self.client.mail.batch.post(), "create a batch")
            return str(json.loads(response.body)["batch_id"])
        except (_Refused, _Unknown, ValueError, KeyError, TypeError) as exc:
            raise SendError(
                f"SendGrid gave no batch id: {exc}",
                hint="nothing was sent for this batch; run the send again later",
            ) from exc

    def send(self, envelope: Envelope, batch: Batch, token: Signer, settle: Settle) -> Outcome:
        """The whole batch in one request (`settle` is never called: SendGrid answers for
        all of it), scheduled `send_delay` ahead so that it can still be cancelled."""
        send_at = int(self.clock()) + self.send_delay
        body = write_batch(
            envelope, batch.recipients, token, batch.batch_id, send_at, self.tracking
        )
        try:
            response = self._call(lambda: self.client.mail.send.post(request_body=body), "send")
        except _Busy as exc:
            return Requeued(str(exc))  # a 429 is a refusal: nothing went out
        except _Refused as exc:
            return Refused(str(exc))
        except _Unknown as exc:
            if not self._cancel(batch.batch_id):
                raise UnsettledError(
                    f"batch {batch.batch_id}: {exc}; it could not be cancelled, "
                    "so it stays in flight"
                ) from exc
            self.sleep(self.pacer.failed())  # this slot backs off; the others go on
            return Requeued(f"{exc}; the batch was cancelled")
        self.pacer.succeeded()
        return Accepted(response.headers.get("X-Message-Id"))

    def recover(self, batch: Batch) -> Recovery:
        if self._cancel(batch.batch_id):
            return Resend()
        return Unknowable(
            "SendGrid would not cancel it (less than 10 minutes before its send time); "
            "it has most likely gone out"
        )

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None:
        """One request each (a proof address may repeat across runs). A lost answer is tried
        again, unless the envelope goes `once` (a welcome): then it is UnsettledError."""
        what = "send" if envelope.once else "send a proof"  # "send" is never repeated
        for who in people:
            body = body_json(
                envelope, [who], batch_id=None, send_at=None, tracking=self.tracking, proof=True
            )
            try:
                self._call(partial(self.client.mail.send.post, request_body=body), what)
            except _Unknown as exc:
                error = UnsettledError if envelope.once else SendError
                raise error(
                    f"{envelope.mail_kind} to {who.recipient.email}: {exc}",
                    email=who.recipient.email,
                ) from exc
            except _Refused as exc:
                raise SendError(
                    f"{envelope.mail_kind} to {who.recipient.email}: {exc}",
                    email=who.recipient.email,
                ) from exc

    def close(self) -> None:
        pass

    def _cancel(self, batch_id: str) -> bool:
        """Cancel the batch; True also when an earlier run already did (a crash can come
        between SendGrid cancelling and our recording it)."""
        body = json.dumps({"batch_id": batch_id, "status": "cancel"})
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
        """One API call, paced with every other request in flight: a 429 holds them all as
        told; 401/403 stop; other 4xx are refusals.

        5xx, timeouts and dropped connections are retried with backoff for calls that
        are safe to repeat; for `send` they are an unknown outcome, left to the caller.
        """
        for attempt in range(self.retries + 1):
            self.pacer.before_request()
            try:
                response = request()
                self.pacer.observe(response.headers)
                return response
            except HTTPError as exc:
                self.pacer.observe(exc.headers)
                status = exc.status_code
                if status in (401, 403):
                    raise SendError(
                        f"SendGrid refused the API key ({status}) while trying to {what}",
                        status=status,
                        hint="check SENDGRID_API_KEY",
                    ) from exc
                if status == 429:
                    if attempt < self.retries:
                        self.pacer.rate_limited(exc.headers, attempt)
                        continue
                    raise _Busy(
                        f"HTTP 429 {self.retries + 1} times in a row: {_errors(exc.body)}"
                    ) from exc
                if status < 500:
                    raise _Refused(f"HTTP {status}: {_errors(exc.body)}") from exc
                failure = f"HTTP {status} from SendGrid"
            except NETWORK_ERRORS as exc:
                failure = f"{type(exc).__name__}: {exc}"
            if what == "send" or attempt == self.retries:
                raise _Unknown(failure)
            self.sleep(self.pacer.backoff(attempt))
        raise AssertionError("unreachable")


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


class _Busy(_Refused):
    """SendGrid kept answering 429: the request was not taken; try it again later."""


class _Unknown(Exception):
    """No answer: SendGrid may or may not have taken the request."""
