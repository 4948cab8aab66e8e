"""The services every shell shares, each once: the feeds by name, an issue out (typed send,
dry run and proof results), and the report's page written in one place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.app import App
from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.domain.papers import SourceKind
from newsletter.domain.week import Week
from newsletter.errors import ConfigError, IssueError
from newsletter.services import ingest, report, send
from tests.support.deliveries import SENDER, add_issue, add_people
from tests.support.engagement import golden_record, send_record
from tests.support.stores import app_with, migrated
from tests.support.workspace import CONFIG


def test_feeds_are_found_by_name_in_one_place(tmp_path: Path) -> None:
    """The CLI's --feed and a scheduler's one-feed task look feeds up alike."""
    with migrated(f"sqlite:///{tmp_path / 's.db'}") as store:
        app = app_with(store, config=CONFIG)
        assert [f.name for f in ingest.feeds(app)] == ["hf-daily", "arxiv-cs-cl"]
        assert [f.name for f in ingest.feeds(app, ["arxiv-cs-cl"])] == ["arxiv-cs-cl"]
        with pytest.raises(
            ConfigError, match=r"no feed named nope in .*\(known: hf-daily, arxiv-cs-cl\)"
        ):
            ingest.feeds(app, ["nope"])
        with pytest.raises(ConfigError, match="no feed named nope"):
            ingest.ingest_feed(app, "nope", dt.date(2024, 11, 25), dt.date(2024, 11, 25))
        extra = ingest.adhoc("rss=https://example.org/feed.xml")
        assert extra.kind is SourceKind.RSS and ingest.feeds(app, (), [extra])[-1] == extra
        alone = app_with(store, config=tmp_path / "missing.toml")  # ad-hoc feeds need no config
        assert ingest.feeds(alone, (), [extra]) == [extra]
        with pytest.raises(ConfigError, match="config file not found"):
            ingest.feeds(alone)
    with pytest.raises(ConfigError, match="is not KIND=URL"):
        ingest.adhoc("https://example.org/feed.xml")


def test_an_issue_goes_out_through_one_service_with_typed_results(tmp_path: Path) -> None:
    with migrated(f"sqlite:///{tmp_path / 's.db'}") as store:
        add_issue(store, 1, dt.date(2024, 11, 25))
        add_people(store, 3)
        app = app_with(store, outbox=tmp_path / "box")
        assert send.backend(app) == "outbox"  # no key, no SMTP URL: nothing leaves the machine
        found = send.outgoing(app, week=Week.containing(dt.date(2024, 11, 27)))
        assert (found.number, found.audience) == (1, 3)
        run = send.dry_run(app, 1)
        assert (run.audience, run.batches, run.backend) == (3, 1, "outbox")
        assert run.sample == ("reader0@example.org", "reader1@example.org", "reader2@example.org")
        assert send.send_proof(app, 1, ["editor@example.org"]) == 1
        assert store.delivery_counts(1) == {}  # a proof records nothing
        sent = send.send(app, 1)
        assert (sent.sent, send.send(app, 1).sent) == (3, 0)
        assert [e for _, e in send.sent_to(app, 1)] == list(run.sample)
        with pytest.raises(IssueError, match="no issue for the week of 2025-01-06"):
            send.outgoing(app, week=Week.containing(dt.date(2025, 1, 6)))


def test_the_report_page_is_written_in_one_place_and_linked(tmp_path: Path) -> None:
    """`newsletter report --html`, the issue-report flow and the demo all write it here."""
    with migrated(f"sqlite:///{tmp_path / 's.db'}") as store:
        plain = app_with(store, reports_dir=tmp_path / "reports", base_url=None, secret=None)
        assert report.report_page(plain) is None  # nothing sent yet: nothing to report
        add_people(store, 2)
        record = golden_record()
        send_record(store, record, SENDER, OutboxBackend(tmp_path / "box"), "s")
        page = report.report_page(plain)
        assert page is not None and page.path == (tmp_path / "reports" / "issue-1.html").resolve()
        assert page.link is None and page.where == page.path.as_uri()
        assert "chart-papers" in page.path.read_text(encoding="utf-8")
        elsewhere = report.write_page(plain, page.report, tmp_path / "out" / "r.html")
        assert elsewhere.read_text(encoding="utf-8") == page.path.read_text(encoding="utf-8")
        assert report.previous_report(plain, 2) == f"[How issue 1 did: its report]({page.where})"
        linked = app_with(store, base_url="https://news.example", secret="s")
        assert (report.link(linked, 1) or "").startswith("https://news.example/reports/")
        assert report.previous_report(linked, 1) is None  # nothing sent before issue 1


def test_the_app_opens_a_store_per_service_or_holds_the_one_it_is_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with migrated(url) as store:
        held = app_with(store)
        with held.store() as first, held.store() as second:
            assert first is store and second is store
        assert held.where == store.safe_url
    own = App(held.settings, upgrade=True)
    with own.store() as first:
        assert first is not store and first.url == url
