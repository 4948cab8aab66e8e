"""Helpers for the tests of the SendGrid test server: bodies, a clock, client calls."""

from __future__ import annotations

import http.client
from typing import Any

import pytest
import sendgrid
from python_http_client.exceptions import HTTPError

from tests.support.sendgrid_server import API_KEY, SendGridServer

__all__ = ["T0", "Clock", "client", "mail", "raw", "refused"]

T0 = 1_800_000_000.0


class Clock:
    """A settable clock for `server.now`."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def mail(*to: str, **extra: Any) -> dict[str, Any]:
    """A minimal valid Mail Send body: one personalization per address."""
    return {
        "personalizations": [{"to": [{"email": address}]} for address in to],
        "from": {"email": "news@example.com", "name": "LLM papers"},
        "subject": "Important LLM papers",
        "content": [{"type": "text/html", "value": "<p>hello</p>"}],
        **extra,
    }


def client(server: SendGridServer, key: str = API_KEY) -> sendgrid.SendGridAPIClient:
    return sendgrid.SendGridAPIClient(key, host=server.url)


def refused(server: SendGridServer, body: dict[str, Any]) -> HTTPError:
    """The client's error for `body`."""
    with pytest.raises(HTTPError) as caught:
        client(server).send(body)
    return caught.value


def raw(
    server: SendGridServer,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one plain HTTP request."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()
