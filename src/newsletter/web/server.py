"""`newsletter web`'s HTTP server: uvicorn, bounded in what a slow or hostile client can hold.

uvicorn (h11) puts no limit on how long a client may take to send its request: one that
trickles its headers or its body a byte at a time keeps its connection, and a file, as long
as it likes (over 80 s measured; 220 of them used up a worker's files and a normal request
timed out). `GuardedH11` adds, per connection:

- **headers** must arrive within `header_timeout` seconds of the request's start (the
  connection, or the end of the previous response): else 408 and the connection closes;
- **a body** within `body_timeout` seconds of its headers: else the connection closes;
- **at most `max_connections` connections** (kept below the process's open-file limit,
  which `serve` raises to its hard limit first): one more closes the connection that has
  waited longest for a request (a slow or idle client; never one being answered), so a
  crowd of slow clients can never lock a normal request out.

h11 itself refuses a request head still unfinished after 16 KiB (400), so a trickled head
holds little memory; security.py refuses a request that carries both Content-Length and
Transfer-Encoding (400, closed).
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["GuardedH11", "guarded", "raise_file_limit", "serve", "server_config"]

RESERVED_FILES = 64  # the store, templates, logs, the mail backend's connections
_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: 16\r\n\r\nRequest Timeout\n"
)


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with deadlines on reading a request and a cap on connections
    (the class attributes, set by `guarded`)."""

    header_timeout = 10.0
    body_timeout = 30.0
    max_connections = 1000

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = ""
        self.waiting_since = self.loop.time()
        super().connection_made(transport)
        self._expect("headers", self.header_timeout)
        if len(self.connections) > self.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.waiting_since = self.loop.time()  # idle now, until the next request
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    @property
    def waiting(self) -> bool:
        """Whether it waits for its client (a request's head or body, or a next request),
        rather than being answered: such a connection may be closed to make room."""
        state = self.conn.their_state
        answering = self.cycle is not None and not self.cycle.response_complete
        return state is h11.IDLE and not answering or state is h11.SEND_BODY

    def _follow(self) -> None:
        """Arm the deadline of what the client owes now: a request head, or its body."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._expect("body", self.body_timeout)
        elif state is h11.IDLE and self.conn.our_state is h11.IDLE:
            # uvicorn's keep-alive timer covers an idle connection, but stops at the first
            # byte of the next request: from then on the head's own deadline counts
            if self._phase != "headers" and self.conn.trailing_data[0]:
                self._expect("headers", self.header_timeout)
        else:
            self._stop()

    def _expect(self, phase: str, seconds: float) -> None:
        if self._phase == phase:
            return
        self._stop()
        self._phase = phase
        self._deadline = self.loop.call_later(seconds, self.shut)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._phase = None, ""

    def shut(self) -> None:
        """Close the connection, with a 408 if it was still sending a request's head (no
        response has begun then: the client learns why)."""
        if self.transport.is_closing():
            return
        if self._phase == "headers":
            self.transport.write(_TIMEOUT)
        self._stop()
        self.transport.close()

    def _make_room(self) -> None:
        """Over the cap: close whoever has waited longest for their client, this one included."""
        waiting = [
            c
            for c in self.connections
            if isinstance(c, GuardedH11) and c.waiting and not c.transport.is_closing()
        ]
        min(waiting, key=lambda c: c.waiting_since, default=self).shut()


def guarded(header_timeout: float, body_timeout: float, max_connections: int) -> type[GuardedH11]:
    """The protocol class with these bounds (uvicorn makes one instance per connection)."""
    bounds = {
        "header_timeout": header_timeout,
        "body_timeout": body_timeout,
        "max_connections": max_connections,
    }
    return type("BoundedH11", (GuardedH11,), bounds)


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit (as Go's runtime does): each
    connection is a file. The soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def server_config(
    app: ASGIApp,
    *,
    header_timeout: float,
    body_timeout: float,
    max_connections: int,
    **uvicorn_options: Any,
) -> uvicorn.Config:
    """uvicorn's settings for the app: the guarded protocol, no websockets, no server header,
    a short keep-alive, and `max_connections` and the accept backlog within the open-file limit.

    asyncio accepts up to `backlog` connections in one go before any of them reaches its
    protocol, so the cap can be passed by two batches before a connection over it is closed;
    and once accept() fails for want of files, asyncio (3.11) retries it in a loop that starves
    every timer. So the cap and two batches must fit in the files there are.
    """
    room = raise_file_limit() - RESERVED_FILES
    backlog = max(8, min(2048, room // 4))
    allowed = max(1, min(max_connections, room - 2 * backlog))
    options: dict[str, Any] = {
        "proxy_headers": True,
        "server_header": False,
        "timeout_keep_alive": 5,
        "ws": "none",
        "lifespan": "on",
        "backlog": backlog,
        **uvicorn_options,
    }
    protocol = guarded(header_timeout, body_timeout, allowed)
    return uvicorn.Config(app, http=protocol, **options)


def serve(app: ASGIApp, **options: Any) -> None:
    """Run the app until stopped (Ctrl-C), with the bounds above (see `server_config`)."""
    uvicorn.Server(server_config(app, **options)).run()
