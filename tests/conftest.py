"""Shared fixtures. `feed_server` is a real HTTP server on 127.0.0.1 (see httpserver.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.httpserver import FeedServer
from tests.stores import any_store, any_store_url  # noqa: F401  (fixtures for every test module)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
