"""The editor's review in tests: a store with the demo week ingested and its draft built (made
once per module, copied for each test), the web app over it, and its review links."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from newsletter.app import App
from newsletter.config import load_settings
from newsletter.domain.week import Week
from newsletter.services import links
from newsletter.services.build import prepare
from newsletter.services.ingest import ingest_feed
from newsletter.store import Store
from tests.support.stores import migrated
from tests.support.web_site import Site, running_site
from tests.support.workspace import CONFIG, make_workspace

WEEK = dt.date(2024, 11, 25)
EDITOR = "editor@example.org"


def build_week(root: Path) -> Path:
    """A workspace (three readers) with the demo week ingested and its draft built: its store file."""
    space = make_workspace(root)
    settings = load_settings(
        database_url=space.database_url,
        outbox=space.outbox,
        config=CONFIG,
        sendgrid_api_key=None,
        smtp_url=None,
    )
    app, week = App(settings), Week.containing(WEEK)
    for name in ("hf-daily", "arxiv-cs-cl"):
        ingest_feed(app, name, week.start, week.end)
    prepare(app, week, out=root / "out")
    return root / "store.db"


@dataclass
class Review:
    """The web app over a copy of the built store, and the editor's link to issue 1."""

    site: Site
    store: Store
    link: str  # the path, /review/<token>

    @property
    def app(self) -> App:
        found: App = self.site.server.app.state.deps.app  # type: ignore[attr-defined]
        return found

    @property
    def http(self) -> httpx.Client:
        return self.site.http

    def draft(self) -> dict[str, Any]:
        answer = self.http.get(f"{self.link}/draft.json")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def post(self, what: str, body: Any, **headers: str) -> httpx.Response:
        """POST JSON as the page does: our Origin, the CSRF token of the page's cookie."""
        csrf = self.draft()["csrf"]
        sent = {"Origin": self.site.url, "X-CSRF-Token": csrf, **headers}
        return self.http.post(f"{self.link}/{what}", json=body, headers=sent)


@contextmanager
def reviewing(built: Path, tmp_path: Path, **settings: Any) -> Iterator[Review]:
    """The web app on a copy of `built`, with the weekly tests' newsletter.toml (one editor)."""
    db = tmp_path / "review.db"
    shutil.copy(built, db)
    with (
        migrated(f"sqlite:///{db}") as store,
        running_site(store, tmp_path, config=CONFIG, **settings) as site,
    ):
        app: App = site.server.app.state.deps.app  # type: ignore[attr-defined]
        link = links.review_link(app, 1, EDITOR).removeprefix(site.url)
        yield Review(site, store, link)
