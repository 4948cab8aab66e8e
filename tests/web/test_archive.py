"""The public archive over HTTP: the list of sent issues, an issue page, the Atom feed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from newsletter.store import Store
from tests.support.deliveries import add_issue, add_people
from tests.support.paths import GOLDEN
from tests.support.web_site import Site, running_site


@pytest.fixture
def site(any_store: Store, tmp_path: Path) -> Iterator[Site]:
    with running_site(any_store, tmp_path) as running:
        add_people(any_store, 2)
        yield running


def test_the_archive_lists_sent_issues_newest_first(site: Site) -> None:
    """Sent issues appear newest first; drafts do not."""
    site.send(1, dt.date(2024, 11, 18))
    site.send(2, dt.date(2024, 11, 25))
    add_issue(site.store, 3, dt.date(2024, 12, 2))  # a draft
    page = site.http.get("/")
    assert page.status_code == 200 and page.headers["Cache-Control"].startswith("public")
    text = page.text
    assert text.index("/issues/2") < text.index("/issues/1") and "/issues/3" not in text
    assert "week of 25 November 2024" in text


def test_an_issue_page_is_the_email_without_personal_links(site: Site) -> None:
    """The page shows the stored HTML; view link is the page itself, unsubscribe a neutral link,
    no name, and no vote links (a reader's own): their lines are gone."""
    html = (
        (GOLDEN / "issue.html")
        .read_text(encoding="utf-8")
        .replace("<body", "<body data-x='%%name%%'", 1)
    )
    site.send(1, html=html)
    page = site.http.get("/issues/1")
    assert page.status_code == 200
    assert "%%" not in page.text
    assert (
        f'href="{site.url}/issues/1"' in page.text and f'href="{site.url}/subscribe"' in page.text
    )
    assert "/u/" not in page.text
    assert "/v/" not in page.text and "Not for me" not in page.text
    assert page.text.count('class="links"') == 12  # every paper's own links stay
    csp = page.headers["Content-Security-Policy"]
    assert (
        "script-src" not in csp
        and "default-src 'none'" in csp
        and "style-src 'unsafe-inline'" in csp
    )


def test_drafts_and_unknown_issues_are_not_found(site: Site) -> None:
    """A draft's page is 404, like a number that does not exist."""
    add_issue(site.store, 1)
    assert site.http.get("/issues/1").status_code == 404
    assert site.http.get("/issues/99").status_code == 404
    assert site.http.get("/issues/x").status_code == 404


def test_the_feed_is_valid_atom_of_the_sent_issues(site: Site) -> None:
    """feed.xml parses as Atom 1.0 with one entry per sent issue, linking to its page."""
    site.send(1, dt.date(2024, 11, 18))
    site.send(2, dt.date(2024, 11, 25))
    answer = site.http.get("/feed.xml")
    assert answer.headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.content)
    assert not feed.bozo and feed.version == "atom10"
    assert feed.feed.title == "LLM Papers Weekly"
    assert [e.link for e in feed.entries] == [f"{site.url}/issues/2", f"{site.url}/issues/1"]
    assert feed.entries[0].title == "Important LLMs Papers #2"
    assert "1.1. A <Paper> & its Title" in feed.entries[0].summary


# What XML 1.0 forbids (its Char production), each range by its ends. Surrogates cannot be
# stored (no encoder writes one): atom_feed is given them directly below.
FORBIDDEN = "\x00\x08\x0b\x0c\x0e\x1f\ufffe\uffff"


def test_the_feed_is_well_formed_whatever_the_store_holds(tmp_path: Path) -> None:
    """An issue whose title, subtitle and picks hold every character XML forbids still gives a
    document a strict parser (expat) reads, the text around them kept."""
    import xml.etree.ElementTree as ET

    from newsletter.delivery.backends.outbox import OutboxBackend
    from newsletter.delivery.message import Envelope
    from newsletter.delivery.send import send_issue
    from newsletter.tokens import make_token
    from tests.support.deliveries import HTML, TEXT, issue_record
    from tests.support.stores import migrated
    from tests.support.web_site import SECRET

    poisoned = f"Ti{FORBIDDEN}tle"
    with migrated(f"sqlite:///{tmp_path / 'x.db'}") as store, running_site(store, tmp_path) as site:
        add_people(store, 1)
        record = issue_record(1, dt.date(2024, 11, 25), poisoned, ("2411.00001", poisoned))
        store.save_draft(
            number=1,
            week_start=dt.date(2024, 11, 25),
            title=poisoned,
            html=HTML,
            text=TEXT,
            record=record.model_copy(update={"subtitle": poisoned}),
            markdown="# Issue",
        )
        envelope = Envelope.for_issue(1, "Issue", HTML, TEXT, site.sender())
        send_issue(store, envelope, OutboxBackend(site.outbox), lambda i: make_token(i, SECRET))
        answer = site.http.get("/feed.xml")
    root = ET.fromstring(answer.content)  # raises on a document that is not well-formed
    entry = root.find("{http://www.w3.org/2005/Atom}entry")
    assert entry is not None
    assert entry.findtext("{http://www.w3.org/2005/Atom}title") == "Title"
    assert entry.findtext("{http://www.w3.org/2005/Atom}summary") == "Title\n1.1. Title"


def test_the_feed_drops_surrogates_too() -> None:
    import xml.etree.ElementTree as ET

    from newsletter.store.archive import ArchiveEntry
    from newsletter.web.archive import atom_feed
    from tests.support.deliveries import issue_record

    title = f"A\ud800\udfff{FORBIDDEN}B"
    record = issue_record(1, dt.date(2024, 11, 25), title, ("2411.00001", title))
    entry = ArchiveEntry(1, title, dt.date(2024, 11, 25), None, record)
    now = dt.datetime(2024, 12, 2, tzinfo=dt.UTC)
    xml = atom_feed([entry], base_url="https://news.example", title=title, now=now)
    assert ET.fromstring(xml).findtext("{http://www.w3.org/2005/Atom}title") == "AB"
