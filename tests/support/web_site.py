"""Test helpers for the web endpoints: the real app on a real server, over a real store,
with the outbox as its mail backend, and an issue sent through the real send loop."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from newsletter.app import App
from newsletter.config import Settings
from newsletter.delivery.backends import Backend
from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.message import Envelope, Sender
from newsletter.delivery.send import send_issue
from newsletter.domain.subscriber import Subscriber
from newsletter.store import Store
from newsletter.tokens import make_token
from newsletter.web.app import create_app
from newsletter.web.limits import Limits
from tests.support.deliveries import HTML, TEXT, issue_record
from tests.support.webserver import WebServer

SECRET = "web-test-secret"
FROM = "LLM Papers Weekly <editor@news.example>"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
# What build stores as the issue's data, cut to what the archive and the feed read.
PICK = ("2411.00001", "A <Paper> & its Title")


@dataclass
class Site:
    store: Store
    outbox: Path
    server: WebServer
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.server.base_url

    def sender(self) -> Sender:
        return Sender.parse(FROM, self.url, SECRET)

    def send(
        self, number: int = 1, week: dt.date = dt.date(2024, 11, 25), html: str = HTML
    ) -> list[Path]:
        """Save a draft and send it through the outbox, as `newsletter send` does; the .eml files."""
        title = f"Important LLMs Papers #{number}"
        self.store.save_draft(
            number=number,
            week_start=week,
            title=title,
            html=html,
            text=TEXT,
            record=issue_record(number, week, title, PICK),
            markdown="# Issue",
        )
        envelope = Envelope.for_issue(number, title, html, TEXT, self.sender())
        send_issue(
            self.store, envelope, OutboxBackend(self.outbox), lambda i: make_token(i, SECRET)
        )
        return sorted((self.outbox / f"issue-{number}").glob("*.eml"))

    def status(self, subscriber_id: int) -> str:
        found = self.store.get_subscriber(subscriber_id)
        assert found is not None
        return found.status.value

    def form(self, path: str) -> str:
        """GET a page with a form; its CSRF token (the client keeps the cookie)."""
        page = self.http.get(path)
        assert page.status_code == 200, page.text
        found = CSRF_FIELD.search(page.text)
        assert found, "no CSRF field on the page"
        return found.group(1)

    def post_form(self, path: str, data: dict[str, str], **kw: Any) -> httpx.Response:
        """POST as our own page would: same Origin, form encoded."""
        headers = {"Origin": self.url, **kw.pop("headers", {})}
        return self.http.post(path, data=data, headers=headers, **kw)

    def confirm_mail(self, address: str, timeout: float = 5.0) -> email.message.EmailMessage:
        """The confirmation message the outbox holds for `address` (sent after the answer)."""
        path = self.outbox / "proofs" / "issue-0" / f"{address}.eml"
        deadline = time.monotonic() + timeout
        while not path.exists():
            assert time.monotonic() < deadline, f"no mail for {address}"
            time.sleep(0.02)
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        return msg


def settings_for(url: str, store_url: str, outbox: Path, **extra: Any) -> Settings:
    values = {"sendgrid_webhook_public_key": None, **extra}  # whatever the environment says
    return Settings(
        _env_file=None,
        database_url=store_url,
        base_url=url,
        secret=SECRET,  # type: ignore[call-arg]
        from_address=FROM,
        outbox=outbox,
        **values,
    )


@contextmanager
def running_site(
    store: Store,
    tmp_path: Path,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    limits: Limits | None = None,
    backend: Backend | None = None,
    **settings: Any,
) -> Iterator[Site]:
    outbox = tmp_path / "outbox"

    def make_app(url: str) -> Any:
        extra = {"clock": clock} if clock else {}
        configured = settings_for(url, store.url, outbox, **settings)
        return create_app(
            configured,
            app=App(configured, store=store),
            backend=backend or OutboxBackend(outbox),
            limits=limits,
            **extra,
        )

    with WebServer(make_app) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield Site(store, outbox, server, http)


def subscriber(store: Store, subscriber_id: int) -> Subscriber:
    found = store.get_subscriber(subscriber_id)
    assert found is not None
    return found
