"""Ingest across feeds: a dead feed fails alone and costs one request's retries, not one per day."""

from __future__ import annotations

import datetime as dt

from newsletter.domain.papers import FeedSpec, SourceKind
from newsletter.feeds.fetch import Fetcher
from newsletter.feeds.ingest import ingest
from newsletter.store import Store
from tests.support.httpserver import FeedServer, Reply
from tests.support.paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "feeds"
WEEK = (dt.date(2024, 11, 25), dt.date(2024, 12, 1))


def test_a_dead_feed_is_asked_once_for_the_whole_range_and_the_others_go_on(
    feed_server: FeedServer, any_store: Store
) -> None:
    dead = feed_server.route("/api/daily_papers", Reply(503, b"down", "text/plain"))
    alive = feed_server.route(
        "/rss", Reply(body=(FIXTURES / "arxiv_rss_cs.CL_2026-08-13.xml").read_bytes())
    )
    specs = [
        FeedSpec("hf-daily", SourceKind.HF_DAILY, dead),
        FeedSpec("arxiv", SourceKind.ARXIV_RSS, alive),
    ]
    with Fetcher(retries=2, backoff=0.001, min_interval={}) as fetch:
        down, up = ingest(specs, any_store, since=WEEK[0], until=WEEK[1], fetcher=fetch)
    assert len(feed_server.hits("/api/daily_papers")) == 3  # one day's three tries, not 7 × 3
    assert down.error == (
        "2024-11-25: HTTP 503 Service Unavailable (3 tries); "
        "6 later requests not made: the server is not answering"
    )
    assert "6 later requests not made: the server is not answering" in down.problems
    assert up.ok and up.new > 0


def test_a_missing_day_does_not_stop_the_other_days(
    feed_server: FeedServer, any_store: Store
) -> None:
    """A 404 is that day's answer, not a dead server: the later days are still asked."""
    url = feed_server.route(
        "/api/daily_papers",
        Reply(404, b"no list", "text/plain"),
        Reply(
            body=(FIXTURES / "hf_daily_papers_api_2024-11-25.json").read_bytes(),
            content_type="application/json",
        ),
    )
    with Fetcher(retries=0, min_interval={}) as fetch:
        (report,) = ingest(
            [FeedSpec("hf-daily", SourceKind.HF_DAILY, url)],
            any_store,
            since=WEEK[0],
            until=WEEK[1],
            fetcher=fetch,
        )
    assert len(feed_server.hits("/api/daily_papers")) == 7
    assert report.ok and report.new > 0
