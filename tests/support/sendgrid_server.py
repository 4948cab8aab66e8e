"""A SendGrid-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

    with SendGridServer(api_key="SG.test") as server:
        client = sendgrid.SendGridAPIClient("SG.test", host=server.url)
        server.rate_limit(times=1, retry_after=2)
        ...
        assert [a for a, _, _ in server.delivered()] == ["alex@example.com"]

Mail Send bodies are validated against the OpenAPI request schema (tests/sendgrid_schema.py)
and SendGrid's documented limits (tests/sendgrid_limits.py); batches, scheduled sends and
the records are in tests/sendgrid_api.py, fault injection in tests/sendgrid_faults.py.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from tests.support.sendgrid_api import Reply, Request, SendGridApi, error_reply
from tests.support.sendgrid_faults import Fault, FaultQueue
from tests.support.sendgrid_limits import Limits
from tests.support.sendgrid_quota import Quota
from tests.support.sendgrid_schema import Mode, api_error

__all__ = ["API_KEY", "FORBIDDEN_KEY", "MAIL_SEND", "Fault", "Limits", "SendGridServer"]

API_KEY = "SG.test-key"
FORBIDDEN_KEY = "SG.forbidden-key"
MAIL_SEND = "/v3/mail/send"
_CHUNK = 1 << 20


class SendGridServer(SendGridApi):
    """The API of SendGridApi served over real HTTP/1.1 (keep-alive), one thread a connection.

    validate="full" checks every personalization against the schema (about 100 ms for 1,000
    of them); "sample" checks the envelope fully and a sample of `sample_size` personalizations
    (about 2 ms); the limits are always checked on every personalization.
    """

    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        forbidden_key: str | None = FORBIDDEN_KEY,
        validate: Mode = "full",
        keep_bodies: bool = True,
        limits: Limits | None = None,
        now: Callable[[], float] = time.time,
        sample_size: int = 8,
        seed: int | None = None,
        latency: float = 0.0,
    ) -> None:
        super().__init__(
            api_key=api_key,
            forbidden_key=forbidden_key,
            validate=validate,
            keep_bodies=keep_bodies,
            limits=limits or Limits(),
            now=now,
            sample_size=sample_size,
            seed=seed,
        )
        self.faults = FaultQueue()
        self.latency = latency  # every answer waits this long, as a round trip over the internet
        self._quota: Quota | None = None
        self._quota_path = MAIL_SEND
        self._counts: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._sending = 0  # Mail Send requests being answered right now
        self.peak_sending = 0  # the most of them at once
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The base URL, for `SendGridAPIClient(key, host=server.url)`."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> dict[str, int]:
        """How many requests arrived, per path (faulty and refused ones included)."""
        with self._count_lock:
            return dict(self._counts)

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- fault injection: each applies to the next `times` authorized requests of `path` ----

    def inject(self, fault: Fault, times: int = 1, path: str = MAIL_SEND) -> None:
        """Script `fault` for the next `times` requests of `path` (after earlier scripts)."""
        self.faults.add(path, fault, times)

    def rate_limit(
        self,
        times: int = 1,
        *,
        retry_after: int | None = 1,
        reset_in: float | None = None,
        path: str = MAIL_SEND,
    ) -> None:
        """429 with `Retry-After: retry_after` and/or `X-RateLimit-Reset: now + reset_in`."""
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if reset_in is not None:
            headers["X-RateLimit-Limit"] = "600"
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset"] = str(int(self.now() + reset_in))
        self.inject(Fault(429, headers=headers), times, path)

    def fail(self, status: int = 500, times: int = 1, *, path: str = MAIL_SEND) -> None:
        """Answer `status` (500, 502, 503...) without processing."""
        self.inject(Fault(status), times, path)

    def reject(
        self, message: str, field: str | None = None, times: int = 1, *, path: str = MAIL_SEND
    ) -> None:
        """Answer 400 with one SendGrid-style error, without processing."""
        self.inject(Fault(400, errors=(api_error(message, field),)), times, path)

    def quota(self, limit: int, window: float, *, path: str = MAIL_SEND) -> None:
        """`limit` requests of `path` per `window` seconds, announced in X-RateLimit-* on each
        answer; a request over it is answered 429 with those headers only (no Retry-After)."""
        self._quota = Quota(limit, window, self.now)
        self._quota_path = path

    @property
    def quota_refused(self) -> int:
        """Requests answered 429 because the quota was spent."""
        return self._quota.refused if self._quota else 0

    def slow(self, delay: float, times: int = 1, *, path: str = MAIL_SEND) -> None:
        """Process (and record) the request, then wait `delay` seconds before answering."""
        self.inject(Fault(delay=delay), times, path)

    def drop_after_accept(self, times: int = 1, *, path: str = MAIL_SEND) -> None:
        """Process (and record) the request, then close the connection without answering."""
        self.inject(Fault(drop=True), times, path)

    # -- one request ---------------------------------------------------------------------

    def respond(self, request: Request) -> Reply | None:
        """The reply to `request`, or None to drop the connection unanswered."""
        sending = request.path == MAIL_SEND
        with self._count_lock:
            self._counts[request.path] += 1
            self._sending += sending
            self.peak_sending = max(self.peak_sending, self._sending)
        try:
            return self._respond(request)
        finally:
            with self._count_lock:
                self._sending -= sending

    def _respond(self, request: Request) -> Reply | None:
        denied = self.authorize(request)
        if denied is not None:
            return denied
        if self.latency:
            time.sleep(self.latency)
        counted = self._quota is not None and request.path == self._quota_path
        over, quota_headers = self._quota.take() if self._quota and counted else (False, {})
        if over:
            return error_reply(429, api_error("too many requests"), headers=quota_headers)
        fault = self.faults.take(request.path)
        if fault is not None and fault.status is not None:
            time.sleep(fault.delay)
            return fault.reply()
        reply = self.dispatch(request)
        if quota_headers:
            reply = Reply(reply.status, reply.body, {**reply.headers, **quota_headers})
        if fault is None:
            return reply
        time.sleep(fault.delay)
        return None if fault.drop else reply


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app: SendGridServer) -> None:
        self.app = app
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that give up (timeouts, drops) are expected: stay quiet about those."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = self._read_body(headers)
        path = urlsplit(self.path).path
        reply = self.server.app.respond(Request(self.command, path, headers, body))
        if reply is None:  # accept then drop: close without a status line
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self._write(reply)
        except OSError:  # the client went away (timed out)
            self.close_connection = True

    def _read_body(self, headers: Mapping[str, str]) -> bytes | None:
        """The (gunzipped) body; None when it exceeds the size limit (it is drained)."""
        limit = self.server.app.limits.max_body_bytes
        length = int(headers.get("content-length") or 0)
        if length >= limit:
            self._drain(length)
            return None
        body = self.rfile.read(length)
        if headers.get("content-encoding", "").lower() != "gzip":
            return body
        try:
            plain = zlib.decompressobj(wbits=31).decompress(body, limit)
        except zlib.error:
            return b""  # answered as invalid JSON
        return plain if len(plain) < limit else None

    def _drain(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, _CHUNK))
            if not chunk:
                return
            length -= len(chunk)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status != 204:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.body:
            self.wfile.write(reply.body)
