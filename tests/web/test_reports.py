"""GET /reports/{token}: the report page for whoever holds its signed link, drawn by
Chromium under the page's own policy; every other token is a 404. With --update-golden
its screenshot (the demo issue with a synthetic event stream) becomes docs/report.png."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.demo.engagement import add_readers, play
from newsletter.demo.events import Reader
from newsletter.engagement.page import chart_library
from newsletter.tokens import make_token
from newsletter.web.reports import IMMUTABLE, LIBRARY_PATH, report_csp
from tests.support.browser import Browser
from tests.support.engagement import golden_record, send_record
from tests.support.paths import ROOT, SHOTS
from tests.support.stores import app_with, migrated
from tests.support.web_site import SECRET, Site, running_site

READERS = 600
CHARTS = ("chart-papers", "chart-sections", "chart-promos", "chart-hours", "chart-growth")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo week's issue sent to 600 readers, with a synthetic week of their events;
    made once for the module: every test here only reads."""
    tmp_path = tmp_path_factory.mktemp("reports")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(days=5)
    with (
        migrated(f"sqlite:///{tmp_path / 'store.db'}") as store,
        running_site(store, tmp_path) as site,
    ):
        record, app = golden_record(), app_with(store)
        add_readers(app, READERS, tmp_path, start)
        send_record(store, record, site.sender(), OutboxBackend(site.outbox), SECRET)
        readers = [
            Reader(i, e, f"{site.url}/u/{make_token(i, SECRET)}") for i, e in store.sent_to(1)
        ]
        play(app, record, readers, site.url, start, now)
        yield site


def link(number: int, purpose: str = "report", *, days_ago: float = 0) -> str:
    issued = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    return f"/reports/{make_token(number, SECRET, purpose, issued_at=issued)}"


def test_the_signed_link_shows_the_report_under_its_own_policy(site: Site) -> None:
    page = site.http.get(link(1))
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert policy == report_csp(page.text) and "script-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy.partition("style-src")[0]  # scripts: ours, by hash
    assert page.headers["cache-control"] == "no-store" and page.headers["x-robots-tag"] == "noindex"
    assert "Important LLMs Papers" in page.text and "chart-papers" in page.text
    assert len(page.content) < 200_000  # plotly.js is not in it


def test_the_chart_library_is_one_file_browsers_keep(site: Site) -> None:
    """plotly.js once, under its versioned name, kept for a year by browsers and proxies."""
    page = site.http.get(link(1)).text
    assert f'src="..{LIBRARY_PATH}"' in page
    library = site.http.get(LIBRARY_PATH)
    assert library.status_code == 200 and library.content == chart_library()
    assert library.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert library.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(
    "path",
    [
        link(1, "unsubscribe"),  # a reader's unsubscribe token for id 1 is no report link
        link(2),  # signed, but no such issue
        "/reports/not-a-token",
        link(1)[:-2] + "xx",
        link(1, days_ago=91),  # older than NEWSLETTER_REPORT_LINK_DAYS (90)
        f"/reports/{make_token(1, SECRET, 'report')}",  # made before links had a time
    ],
)
def test_any_other_link_is_a_404(site: Site, path: str) -> None:
    answer = site.http.get(path)
    assert answer.status_code == 404 and "Important LLMs" not in answer.text


def test_chromium_draws_every_chart_under_the_policy(
    site: Site, browser: Browser, update_golden: bool
) -> None:
    """No CSP violation, no script error, no request but the page itself."""
    page = site.url + link(1)
    with browser:
        browser.record("Runtime", "Network", "Log")
        browser.goto(page)
        for chart in CHARTS:
            drawn = f"document.querySelectorAll('#{chart} .main-svg').length > 0"
            assert browser.evaluate(drawn), f"{chart} has no plotly SVG"
        assert browser.seen("Runtime.exceptionThrown") == []
        problems = [e["entry"]["text"] for e in browser.seen("Log.entryAdded")]
        assert [p for p in problems if "Content Security Policy" in p or "rror" in p] == []
        requested = {r["request"]["url"] for r in browser.seen("Network.requestWillBeSent")}
        assert requested == {page, site.url + LIBRARY_PATH}
        browser.screenshot(SHOTS / "report-demo.png", full_page=True)
        if update_golden:
            browser.screenshot(ROOT / "docs" / "report.png", full_page=True)


def test_report_links_expire_and_have_their_own_key(tmp_path: Path) -> None:
    """A link from app.report_link works for NEWSLETTER_REPORT_LINK_DAYS; a new
    NEWSLETTER_REPORT_SECRET revokes every report link while unsubscribe links keep working."""
    from newsletter.app import report_link
    from tests.support.web_site import settings_for

    now = [dt.datetime.now(dt.UTC)]
    with migrated(f"sqlite:///{tmp_path / 'store.db'}") as store:
        add_readers(app_with(store), 1, tmp_path, now[0])
        with running_site(store, tmp_path, clock=lambda: now[0], report_link_days=30) as site:
            send_record(store, golden_record(), site.sender(), OutboxBackend(site.outbox), SECRET)
            made = report_link(settings_for(site.url, store.url, site.outbox), 1, now=now[0])
            assert made is not None and site.http.get(made).status_code == 200
            now[0] += dt.timedelta(days=31)
            assert site.http.get(made).status_code == 404
        rotated = {"report_secret": "a-new-report-key"}
        with running_site(store, tmp_path, clock=lambda: now[0], **rotated) as site:
            old = report_link(settings_for(site.url, store.url, site.outbox), 1, now=now[0])
            new = report_link(settings_for(site.url, store.url, site.outbox, **rotated), 1)
            assert old and new and site.http.get(old).status_code == 404
            assert site.http.get(new).status_code == 200
            assert site.http.get(f"/u/{make_token(1, SECRET)}").status_code == 200
