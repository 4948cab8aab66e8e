"""A real HTTP server on 127.0.0.1 for tests: scripted replies, recorded requests.

    server.route("/feed.xml", Reply(429, headers={"Retry-After": "1"}), Reply(body=doc))

Each hit on a path takes the next reply of its sequence; the last one repeats.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal, Self
from urllib.parse import urlsplit

__all__ = ["FeedServer", "Hit", "Reply"]


@dataclass(frozen=True)
class Reply:
    """How the server answers one hit."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/rss+xml; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    gzip: bool = False
    chunked: bool = False  # Transfer-Encoding: chunked, so no Content-Length
    repeat: int = 1  # the body is sent this many times: a big stream from a small fixture
    delay: float = 0.0  # seconds to wait before answering
    etag: str | None = None  # sent, and a matching If-None-Match gets a 304
    last_modified: str | None = None  # sent, and an equal If-Modified-Since gets a 304
    reset: Literal["before-headers", "after-headers"] | None = None  # TCP RST


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    at: float  # time.monotonic() on arrival


class FeedServer:
    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._hits: list[Hit] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Reply) -> str:
        """Script the replies for `path`; returns its full URL."""
        with self._lock:
            self._routes[path] = list(replies) or [Reply()]
            self._served[path] = 0
        return self.url(path)

    def hits(self, path: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if path is None or urlsplit(h.path).path == path]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _next_reply(self, hit: Hit) -> Reply | None:
        path = urlsplit(hit.path).path
        with self._lock:
            self._hits.append(hit)
            replies = self._routes.get(path)
            if replies is None:
                return None
            index = min(self._served[path], len(replies) - 1)
            self._served[path] += 1
            return replies[index]


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        feed_server = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    feed_server: FeedServer

    def do_GET(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        hit = Hit("GET", self.path, headers, time.monotonic())
        reply = self.feed_server._next_reply(hit)
        if reply is None:
            self._send(Reply(404, b"no such route", "text/plain"), headers)
            return
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset == "before-headers":
            self._reset()
            return
        self._send(reply, headers)

    def _send(self, reply: Reply, request: dict[str, str]) -> None:
        if _not_modified(reply, request):
            self.send_response(304)
            self._validators(reply)
            self.end_headers()
            return
        # A gzipped body is compressed whole; a plain one is sent piece by piece,
        # so a huge `repeat` never sits in memory.
        piece, count = (
            (gzip.compress(reply.body * reply.repeat), 1)
            if reply.gzip
            else (reply.body, reply.repeat)
        )
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        if reply.gzip:
            self.send_header("Content-Encoding", "gzip")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self._validators(reply)
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(piece) * count))
        self.end_headers()
        if reply.reset == "after-headers":
            self.wfile.write(piece[: len(piece) // 2])
            self._reset()
            return
        for _ in range(count):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece)
        if reply.chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _validators(self, reply: Reply) -> None:
        if reply.etag:
            self.send_header("ETag", reply.etag)
        if reply.last_modified:
            self.send_header("Last-Modified", reply.last_modified)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a crashed peer would."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ValueError):  # the client went away (timeouts, size cap): expected
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


def _not_modified(reply: Reply, request: Mapping[str, str]) -> bool:
    if reply.etag and request.get("if-none-match") == reply.etag:
        return True
    return bool(reply.last_modified) and request.get("if-modified-since") == reply.last_modified
