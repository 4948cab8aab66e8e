"""Shared fixtures. `feed_server` is a real HTTP server on 127.0.0.1 (see httpserver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.httpserver import FeedServer
from tests.support.stores import (  # noqa: F401  (fixtures for every test module)
    any_store,
    any_store_url,
    demo_db,
)

if TYPE_CHECKING:  # imported in the fixtures: jsonschema, aiosmtpd load only when used
    from tests.support.browser import Browser
    from tests.support.sendgrid_server import SendGridServer
    from tests.support.smtp_server import SMTPServer


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


@pytest.fixture
def sendgrid_server(request: pytest.FixtureRequest) -> Iterator[SendGridServer]:
    """A SendGrid-compatible server on 127.0.0.1 (tests/sendgrid_server.py); options through
    indirect parametrization: `@pytest.mark.parametrize("sendgrid_server", [{...}], indirect=True)`."""
    from tests.support.sendgrid_server import SendGridServer

    with SendGridServer(**getattr(request, "param", {})) as server:
        yield server


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SMTPServer]:
    """An SMTP server on 127.0.0.1 (tests/smtp_server.py); options (auth=, starttls=) through
    indirect parametrization, as for `sendgrid_server`."""
    from tests.support.smtp_server import SMTPServer

    with SMTPServer(**getattr(request, "param", {})) as server:
        yield server


@pytest.fixture
def browser() -> Browser:
    """Headless Chromium (tests/support/browser.py), opened with `with browser:`."""
    import os

    from tests.support.browser import Browser, chromium_available

    if not chromium_available():
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure, not a skip
            pytest.fail("/usr/bin/chromium is missing (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
    return Browser()
