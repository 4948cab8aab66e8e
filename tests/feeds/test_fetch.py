"""Fetcher against a real local HTTP server: every failure mode a feed host has."""

from __future__ import annotations

import email.utils
import itertools
import random
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter import app
from newsletter.config import Settings
from newsletter.errors import FeedError
from newsletter.feeds.fetch import Conditional, Fetcher, MiB
from tests.support.clock import FakeClock
from tests.support.httpserver import FeedServer, Reply

RSS = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel></channel></rss>'


# One client for the tests: building one (its TLS context) costs ~50 ms.
SHARED_CLIENT = httpx.Client()


def fetcher(**options: Any) -> Fetcher:
    """A Fetcher with test-sized waits; options override."""
    defaults: dict[str, Any] = {
        "client": SHARED_CLIENT,
        "retries": 2,
        "backoff": 0.001,
        "max_backoff": 0.01,
        "timeout": 2.0,
        "min_interval": {},
    }
    return Fetcher(**(defaults | options))


def failure(fetch: Fetcher, url: str) -> FeedError:
    with pytest.raises(FeedError) as caught:
        fetch.get(url)
    assert caught.value.url == url
    return caught.value


# -- success ------------------------------------------------------------------


def test_gets_the_document_with_user_agent_and_validators(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS, etag='"v1"', last_modified="Wed, 21 Oct"))
    got = fetcher(user_agent="newsletter-test/1").get(url)
    assert (got.status, got.content, got.not_modified) == (200, RSS, False)
    assert got.content_type == "application/rss+xml; charset=utf-8"
    assert (got.etag, got.last_modified) == ('"v1"', "Wed, 21 Oct")
    assert feed_server.hits("/rss")[0].headers["user-agent"] == "newsletter-test/1"


def test_gzip_is_decoded(feed_server: FeedServer) -> None:
    url = feed_server.route("/gz", Reply(body=RSS, gzip=True))
    assert fetcher().get(url).content == RSS
    assert "gzip" in feed_server.hits("/gz")[0].headers["accept-encoding"]


def test_redirects_are_followed(feed_server: FeedServer) -> None:
    feed_server.route("/new", Reply(body=RSS))
    url = feed_server.route("/old", Reply(301, headers={"Location": "/new"}))
    assert fetcher().get(url).content == RSS


def test_etag_gets_a_304(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS, etag='"v1"'))
    got = fetcher().get(url, Conditional(etag='"v1"'))
    assert got.not_modified and got.status == 304 and got.content == b""
    assert got.etag == '"v1"'
    assert feed_server.hits("/rss")[0].headers["if-none-match"] == '"v1"'


def test_last_modified_gets_a_304(feed_server: FeedServer) -> None:
    stamp = "Thu, 13 Aug 2026 04:00:13 GMT"
    url = feed_server.route("/rss", Reply(body=RSS, last_modified=stamp))
    got = fetcher().get(url, Conditional(last_modified=stamp))
    assert got.not_modified and got.last_modified == stamp
    assert feed_server.hits("/rss")[0].headers["if-modified-since"] == stamp


def test_a_changed_feed_comes_back_whole(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS, etag='"v2"'))
    got = fetcher().get(url, Conditional(etag='"v1"'))
    assert not got.not_modified and got.content == RSS and got.etag == '"v2"'


# -- HTTP errors and retries --------------------------------------------------


def test_404_fails_at_once(feed_server: FeedServer) -> None:
    url = feed_server.route("/gone", Reply(404, b"nope", "text/plain"))
    error = failure(fetcher(), url)
    assert (str(error), error.status) == ("HTTP 404 Not Found", 404)
    assert len(feed_server.hits("/gone")) == 1


def test_other_4xx_fail_at_once(feed_server: FeedServer) -> None:
    url = feed_server.route("/forbidden", Reply(403))
    assert str(failure(fetcher(), url)) == "HTTP 403 Forbidden"
    assert len(feed_server.hits("/forbidden")) == 1


def test_500_is_retried_then_fails(feed_server: FeedServer) -> None:
    url = feed_server.route("/broken", Reply(500))
    error = failure(fetcher(retries=2), url)
    assert (str(error), error.status) == ("HTTP 500 Internal Server Error (3 tries)", 500)
    assert len(feed_server.hits("/broken")) == 3


def test_a_passing_503_is_retried(feed_server: FeedServer) -> None:
    url = feed_server.route("/busy", Reply(503), Reply(body=RSS))
    assert fetcher().get(url).content == RSS


def test_no_retries_means_one_try(feed_server: FeedServer) -> None:
    url = feed_server.route("/broken", Reply(502))
    assert str(failure(fetcher(retries=0), url)) == "HTTP 502 Bad Gateway"
    assert len(feed_server.hits("/broken")) == 1


def test_429_waits_for_retry_after_then_succeeds(feed_server: FeedServer) -> None:
    url = feed_server.route("/limited", Reply(429, headers={"Retry-After": "1"}), Reply(body=RSS))
    assert fetcher(max_backoff=5).get(url).content == RSS
    first, second = feed_server.hits("/limited")
    assert second.at - first.at >= 0.95


def test_retry_after_as_an_http_date(feed_server: FeedServer) -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    url = feed_server.route("/limited", Reply(429, headers={"Retry-After": later}), Reply(body=RSS))
    clock = FakeClock()
    fetcher(sleep=clock.sleep, max_backoff=60).get(url)
    assert len(clock.sleeps) == 1 and 27 <= clock.sleeps[0] <= 30


def test_retry_after_is_capped_by_max_backoff(feed_server: FeedServer) -> None:
    url = feed_server.route("/limited", Reply(429, headers={"Retry-After": "3600"}))
    clock = FakeClock()
    error = failure(fetcher(sleep=clock.sleep, retries=2, max_backoff=7), url)
    assert clock.sleeps == [7, 7]
    assert (str(error), error.status) == ("HTTP 429 Too Many Requests (3 tries)", 429)


def test_backoff_is_exponential_with_full_jitter_and_capped(feed_server: FeedServer) -> None:
    url = feed_server.route("/broken", Reply(500))
    clock = FakeClock()
    fetch = fetcher(
        sleep=clock.sleep, retries=6, backoff=1.0, max_backoff=8.0, rng=random.Random(3)
    )
    failure(fetch, url)
    ceilings = [1, 2, 4, 8, 8, 8]
    assert len(clock.sleeps) == len(ceilings)
    assert all(0 <= slept <= cap for slept, cap in zip(clock.sleeps, ceilings, strict=True))
    assert len(set(clock.sleeps)) == len(clock.sleeps)  # jittered, not fixed steps


# -- network failures ---------------------------------------------------------


def test_timeout_is_retried_then_fails(feed_server: FeedServer) -> None:
    url = feed_server.route("/slow", Reply(body=RSS, delay=1.0))
    started = time.monotonic()
    error = failure(fetcher(timeout=0.2, retries=1), url)
    assert (str(error), error.status) == ("timed out after 0.2 s (2 tries)", None)
    assert time.monotonic() - started < 1.5  # ~0.4 s, not the server's 2 × 1 s
    assert len(feed_server.hits("/slow")) == 2


def test_connection_reset_before_headers(feed_server: FeedServer) -> None:
    url = feed_server.route("/reset", Reply(reset="before-headers"))
    assert str(failure(fetcher(retries=1), url)) == "connection reset (2 tries)"


def test_connection_reset_in_the_middle_of_the_body(feed_server: FeedServer) -> None:
    url = feed_server.route("/reset", Reply(body=RSS * 50, reset="after-headers"))
    assert str(failure(fetcher(retries=1), url)) == "connection reset (2 tries)"


def test_a_reset_then_success(feed_server: FeedServer) -> None:
    url = feed_server.route("/flaky", Reply(reset="before-headers"), Reply(body=RSS))
    assert fetcher().get(url).content == RSS


def test_connection_refused() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    assert str(failure(fetcher(retries=0), url)) == "connection refused"


def test_an_invalid_url_is_a_feed_error() -> None:
    assert str(failure(fetcher(), "http://example.org:abc/")) == "invalid URL: Invalid port: 'abc'"


def test_an_unsupported_scheme_fails_at_once() -> None:
    assert "ftp" in str(failure(fetcher(), "ftp://example.org/feed.xml"))


# -- what comes back ----------------------------------------------------------


def test_an_html_page_is_not_a_feed(feed_server: FeedServer) -> None:
    page = b"<!DOCTYPE html><html><body>Rate exceeded.</body></html>"
    url = feed_server.route("/page", Reply(body=page, content_type="text/html; charset=utf-8"))
    error = failure(fetcher(), url)
    assert (str(error), error.status) == ("expected a feed, got text/html", 200)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(RSS, "text/html"), (b'\n[{"paper": {}}]', "text/plain"), (b"<feed xmlns='x'/>", None)],
)
def test_a_mislabelled_feed_is_accepted(
    feed_server: FeedServer, body: bytes, content_type: str | None
) -> None:
    url = feed_server.route("/feed", Reply(body=body, content_type=content_type))
    assert fetcher().get(url).content == body


def test_too_big_by_content_length_is_refused_up_front(feed_server: FeedServer) -> None:
    url = feed_server.route("/big", Reply(body=b"x" * MiB, repeat=51))
    started = time.monotonic()
    error = failure(Fetcher(min_interval={}), url)  # the real 50 MiB default
    assert (str(error), error.status) == ("feed is larger than the 50 MiB cap", 200)
    assert time.monotonic() - started < 2


def test_too_big_without_content_length_is_cut_off_while_streaming(
    feed_server: FeedServer,
) -> None:
    # 6.4 GB on offer, chunked: only streaming with a running count refuses it quickly.
    url = feed_server.route(
        "/endless", Reply(body=b"<rss>" + b"x" * 65531, chunked=True, repeat=100_000)
    )
    started = time.monotonic()
    error = failure(fetcher(max_bytes=MiB), url)
    assert str(error) == "feed is larger than the 1 MiB cap"
    assert time.monotonic() - started < 2


def test_the_cap_applies_to_decoded_gzip(feed_server: FeedServer) -> None:
    url = feed_server.route("/bomb", Reply(body=b"<rss>" + b" " * (4 * MiB), gzip=True))
    assert str(failure(fetcher(max_bytes=MiB), url)) == "feed is larger than the 1 MiB cap"


# -- local files --------------------------------------------------------------


def test_reads_a_local_path_and_a_file_url(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    for location in (str(path), path.as_uri()):
        got = fetcher().get(location)
        assert (got.status, got.content, got.location) == (200, RSS, location)


def test_a_local_file_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * 2048)
    assert str(failure(fetcher(max_bytes=1024), str(path))) == ("feed is larger than the 1 KiB cap")


def test_a_missing_local_file_reads_as_404(tmp_path: Path) -> None:
    error = failure(fetcher(), str(tmp_path / "2024-11-30.json"))
    assert str(error).startswith("file not found") and error.status == 404


# -- politeness ---------------------------------------------------------------


def test_min_interval_spaces_requests_to_one_host(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS))
    clock = FakeClock()
    fetch = fetcher(min_interval={"127.0.0.1": 3.0}, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        fetch.get(url)
    assert clock.sleeps == [3.0, 3.0]


def test_time_already_passed_counts_towards_the_interval(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS))
    clock = FakeClock()
    fetch = fetcher(min_interval={"127.0.0.1": 3.0}, clock=clock, sleep=clock.sleep)
    fetch.get(url)
    clock.now += 2.0  # parsing took two seconds
    fetch.get(url)
    assert clock.sleeps == [1.0]


def test_other_hosts_are_not_slowed(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS))
    clock = FakeClock()
    fetch = Fetcher(clock=clock, sleep=clock.sleep)  # default: only export.arxiv.org
    fetch.get(url)
    fetch.get(url)
    assert clock.sleeps == []


def test_retries_wait_their_turn_too(feed_server: FeedServer) -> None:
    url = feed_server.route("/busy", Reply(503), Reply(body=RSS))
    clock = FakeClock()
    fetch = fetcher(
        min_interval={"127.0.0.1": 3.0},
        clock=clock,
        sleep=clock.sleep,
        backoff=0.5,
        max_backoff=0.5,
        rng=random.Random(1),
    )
    fetch.get(url)
    backoff, pacing = clock.sleeps
    assert backoff <= 0.5 and backoff + pacing == pytest.approx(3.0)


def test_real_spacing_holds_across_threads(feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS))
    fetch = fetcher(min_interval={"127.0.0.1": 0.2})
    threads = [threading.Thread(target=fetch.get, args=(url,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = sorted(hit.at for hit in feed_server.hits("/rss"))
    assert len(times) == 3
    # Arrival times also carry connection set-up and thread scheduling, hence the slack.
    assert all(b - a >= 0.12 for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] >= 0.35


def test_from_settings(feed_server: FeedServer) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, contact_email="editor@example.org"
    )
    url = feed_server.route("/rss", Reply(body=RSS))
    with app.fetcher(settings) as fetch:
        fetch.get(url)
    assert "editor@example.org" in feed_server.hits("/rss")[0].headers["user-agent"]


# -- the retry budget: a dead host costs one bounded wait --------------------------------


def test_a_host_that_never_answers_costs_at_most_the_retry_budget(feed_server: FeedServer) -> None:
    """However long the timeout and many the retries, a get gives up within its budget."""
    url = feed_server.route("/hang", Reply(body=RSS, delay=30.0))
    started = time.monotonic()
    error = failure(fetcher(timeout=20.0, retries=50, retry_budget=1.0), url)
    assert time.monotonic() - started < 2.0  # ~1 s; without the budget 51 × 20 s
    assert error.gave_up and str(error).startswith("timed out after ")


def test_a_retry_after_beyond_the_budget_gives_up_at_once(feed_server: FeedServer) -> None:
    url = feed_server.route("/busy", Reply(429, headers={"Retry-After": "120"}))
    clock = FakeClock()
    error = failure(
        fetcher(retry_budget=45.0, max_backoff=300.0, clock=clock, sleep=clock.sleep), url
    )
    assert clock.sleeps == [] and len(feed_server.hits("/busy")) == 1
    assert error.gave_up and error.status == 429 and "rate limiting" in error.hint


def test_failures_that_retrying_cannot_mend_are_not_marked_gave_up(feed_server: FeedServer) -> None:
    url = feed_server.route("/gone", Reply(404, b"gone", "text/plain"))
    assert not failure(fetcher(), url).gave_up


def test_the_budget_comes_from_the_settings() -> None:
    fetch = app.fetcher(Settings(http_retry_budget=7.5))  # type: ignore[call-arg]
    assert fetch._budget == 7.5
