"""`newsletter web` under slow and malformed clients: the real command in its own process,
with the open-file limit of a small machine (256), against a crowd that trickles requests."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

FILES = 256  # the served process's open-file limit, soft and hard: it cannot raise it


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`newsletter web` on a free port, with 2-second read deadlines; its URL and process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "NEWSLETTER_WEB_HEADER_TIMEOUT": "2",
        "NEWSLETTER_WEB_BODY_TIMEOUT": "2",
    }
    limit = (FILES, FILES)
    server = subprocess.Popen(
        [sys.executable, "-m", "newsletter.cli", "web", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limit),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/feed.xml", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "not serving"
                time.sleep(0.1)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=10)


def enough_files(wanted: int) -> None:
    """This test process holds every slow client's socket: raise its own limit if needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def slow_client(port: int, head: bytes) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(head)
    return conn


def trickle(conn: socket.socket) -> bool:
    """One more byte; False when the server had closed the connection already."""
    try:
        conn.sendall(b"a")
    except (ConnectionResetError, BrokenPipeError):
        return False
    return True


def closed_by_server(conn: socket.socket, within: float) -> bytes | None:
    """What the server wrote before closing, or None if it kept the connection open."""
    conn.settimeout(within)
    got = b""
    try:
        while chunk := conn.recv(4096):
            got += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return got


def test_a_normal_request_is_served_while_slow_clients_hold_connections(
    web: tuple[str, subprocess.Popen[str]],
) -> None:
    """250 connections trickling a request head or a body, more than the 256 files leave room
    for: a normal request is still served at once (the longest-waiting connections make room),
    and within the deadlines every slow connection is closed, an unfinished head with a 408."""
    url, server = web
    port = int(url.rsplit(":", 1)[1])
    enough_files(1024)
    heads, bodies = [], []
    for _ in range(125):
        heads.append(slow_client(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "))
        bodies.append(
            slow_client(
                port,
                b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\nemail=",
            )
        )
    try:
        normal = httpx.get(url + "/", timeout=5)
        assert normal.status_code == 200 and "archive" in normal.text.lower()
        # still trickling: each byte is news, none is the end. On a busy machine the server
        # may already have closed some to make room: a reset there loses what it said.
        reset = {id(conn) for conn in heads + bodies if not trickle(conn)}
        answers = [closed_by_server(conn, within=8) for conn in heads + bodies]
        assert None not in answers, f"{answers.count(None)} slow connections still open"
        for conn, answer in zip(heads, answers, strict=False):  # timed out, or made room: told why
            assert id(conn) in reset or (answer and answer.startswith(b"HTTP/1.1 408 ")), answer
        assert len(reset) < len(heads + bodies) // 2, f"{len(reset)} closed before the deadline"
    finally:
        for conn in heads + bodies:
            conn.close()
    assert httpx.get(url + "/", timeout=5).status_code == 200
    server.terminate()
    log, _ = server.communicate(timeout=10)
    assert "Traceback" not in log and "Too many open files" not in log, log[-3000:]


def test_both_content_length_and_transfer_encoding_is_refused_and_closed(
    web: tuple[str, subprocess.Popen[str]],
) -> None:
    """Read as chunked, such a request used to keep its connection for the next one: a way to
    smuggle a request past a proxy that reads Content-Length. Now: 400, closed."""
    url, _ = web
    port = int(url.rsplit(":", 1)[1])
    conn = slow_client(
        port,
        b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nemail\r\n0\r\n\r\n"
        b"GET /feed.xml HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    with conn:
        answer = closed_by_server(conn, within=5)
    assert answer is not None, "the connection was kept open"
    assert answer.startswith(b"HTTP/1.1 400 ") and b"connection: close" in answer.lower()
    assert b"<feed" not in answer  # the request behind it was never read
