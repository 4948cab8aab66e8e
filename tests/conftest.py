"""Shared fixtures. `feed_server` is a real HTTP server on 127.0.0.1 (see httpserver.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.httpserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server
