"""Fetch feed documents over HTTP (or from disk) politely and within bounds.

`Fetcher` follows arxiv.py's Client: safe defaults in the constructor and every
side effect (HTTP client, sleep, clock, randomness) injectable for tests.
"""

from __future__ import annotations

import http
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Self
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from newsletter.errors import FeedError
from newsletter.retrying import full_jitter
from newsletter.retrying import retry_after as retry_after_seconds

__all__ = ["DEFAULT_USER_AGENT", "Conditional", "Fetched", "Fetcher", "MiB"]

MiB = 1024 * 1024
DEFAULT_USER_AGENT = "newsletter/0.1 (+mailto:newsletter@example.org)"
# arXiv asks API clients for at most one request every three seconds.
ARXIV_API_INTERVAL: Mapping[str, float] = MappingProxyType({"export.arxiv.org": 3.0})

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.9, */*;q=0.5"
)
_FEED_MEDIA_HINTS = ("xml", "rss", "atom", "rdf", "json")
# What a feed's first bytes look like: an XML prolog, comments, then a feed root; or JSON.
_FEED_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<\?xml-stylesheet[^>]*>\s*)*"
    rb"(?:<(?:rss|feed|rdf:RDF|RDF)\b|[\[{])",
    re.DOTALL,
)
_HINT_URL = "check the feed URL"
_HINT_SLOW = "the server is slow or unreachable; run again later or raise NEWSLETTER_HTTP_TIMEOUT"
_HINT_SIZE = "raise NEWSLETTER_MAX_FEED_BYTES if this feed really is that large"
_HINT_NOT_FEED = "the server sent something other than a feed (an error page?); check the URL"
_HINT_RATE = "the server is rate limiting us; run again later"


@dataclass(frozen=True, slots=True)
class Conditional:
    """Validators from the last successful fetch, sent back to get a cheap 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """One fetched document. On a 304, `content` is empty and `not_modified` is set."""

    location: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool = False


class _Retry(Exception):
    """A failure worth another try: 408, 429, 5xx, a timeout or a broken connection."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class _Pacer:
    """Spaces request starts per host; thread-safe, and nobody sleeps holding the lock."""

    def __init__(
        self,
        intervals: Mapping[str, float],
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._intervals = {host.lower(): float(s) for host, s in intervals.items() if s > 0}
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        host = host.lower()
        interval = self._intervals.get(host)
        if interval is None:
            return
        with self._lock:  # reserve the next free slot, then sleep until it comes
            now = self._clock()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + interval
        if start > now:
            self._sleep(start - now)


class Fetcher:
    """Gets feed documents: timeouts, a size cap, retries with backoff, per-host pacing.

    `retries` counts the extra tries after the first, so `retries=0` tries once.
    `retry_budget` bounds the seconds one `get` spends on all its tries and waits: a dead
    host costs at most that, however long the timeout (each try's timeout shrinks to what
    is left). `min_interval` maps a host name to the least number of seconds between the
    starts of two requests to it.
    """

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
        max_bytes: int = 50 * MiB,
        user_agent: str = DEFAULT_USER_AGENT,
        retries: int = 4,
        retry_budget: float = 45.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        min_interval: Mapping[str, float] = ARXIV_API_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=True)
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._user_agent = user_agent
        self._attempts = max(0, retries) + 1
        self._budget = retry_budget
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._pacer = _Pacer(min_interval, clock, sleep)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def get(self, location: str, conditional: Conditional | None = None) -> Fetched:
        """Fetch a URL, or read a local path (plain or file://); raises FeedError."""
        path = _local_path(location)
        if path is not None:
            return self._read_file(location, path)
        return self._get_url(location, conditional)

    # -- HTTP ---------------------------------------------------------------

    def _get_url(self, url: str, conditional: Conditional | None) -> Fetched:
        try:
            host = httpx.URL(url).host
        except httpx.InvalidURL as exc:
            raise FeedError(f"invalid URL: {exc}", url=url, hint=_HINT_URL) from None
        headers = self._headers(conditional)
        deadline: float | None = None  # set by the first try, after any pacing wait
        for attempt in range(1, self._attempts + 1):
            self._pacer.wait(host)
            deadline = deadline if deadline is not None else self._clock() + self._budget
            try:
                return self._attempt(url, headers, conditional, deadline - self._clock())
            except _Retry as failure:
                delay = self._delay(attempt, failure.retry_after)
                if attempt == self._attempts or self._clock() + delay >= deadline:
                    raise self._gave_up(url, failure, attempt) from None
                self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _headers(self, conditional: Conditional | None) -> dict[str, str]:
        headers = {"User-Agent": self._user_agent, "Accept": _ACCEPT}
        if conditional and conditional.etag:
            headers["If-None-Match"] = conditional.etag
        if conditional and conditional.last_modified:
            headers["If-Modified-Since"] = conditional.last_modified
        return headers

    def _attempt(
        self, url: str, headers: dict[str, str], conditional: Conditional | None, left: float
    ) -> Fetched:
        timeout = max(0.1, min(self._timeout, left))
        try:
            with self._client.stream(
                "GET", url, headers=headers, timeout=timeout, follow_redirects=True
            ) as response:
                return self._handle(url, response, conditional, timeout)
        except httpx.TimeoutException:
            raise _Retry(f"timed out after {timeout:g} s") from None
        except httpx.ConnectError as exc:
            refused = "refused" in str(exc).lower()
            raise _Retry("connection refused" if refused else f"cannot connect: {exc}") from None
        except (httpx.ReadError, httpx.WriteError, httpx.CloseError, httpx.RemoteProtocolError):
            raise _Retry("connection reset") from None
        except httpx.TooManyRedirects:
            raise FeedError("too many redirects", url=url, hint=_HINT_URL) from None
        except httpx.HTTPError as exc:  # bad encoding, unsupported scheme, proxy trouble
            raise FeedError(_one_line(exc), url=url) from None

    def _handle(
        self, url: str, response: httpx.Response, conditional: Conditional | None, timeout: float
    ) -> Fetched:
        status = response.status_code
        if status == 304:
            previous = conditional or Conditional()
            return Fetched(
                location=url,
                status=status,
                content=b"",
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag", previous.etag),
                last_modified=response.headers.get("last-modified", previous.last_modified),
                not_modified=True,
            )
        if status in (408, 429) or status >= 500:
            retry_after = retry_after_seconds(response.headers.get("retry-after"), time.time())
            raise _Retry(_status_line(response), status, retry_after)
        if not 200 <= status < 300:
            hint = _HINT_URL if status in (400, 404, 410) else None
            raise FeedError(_status_line(response), url=url, status=status, hint=hint)
        content = self._read_capped(url, response, timeout)
        content_type = response.headers.get("content-type")
        _check_is_feed(url, status, content_type, content)
        return Fetched(
            location=url,
            status=status,
            content=content,
            content_type=content_type,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    def _read_capped(self, url: str, response: httpx.Response, timeout: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(url, response.status_code)
        # A slow drip of bytes never trips the per-read timeout, so bound the whole body too.
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():  # decoded bytes: the cap is on what we keep
            size += len(chunk)
            if size > self._max_bytes:
                raise self._too_large(url, response.status_code)
            if time.monotonic() > deadline:
                raise _Retry(f"timed out after {timeout:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._max_backoff)
        return full_jitter(self._rng, attempt - 1, self._backoff, self._max_backoff)

    def _gave_up(self, url: str, failure: _Retry, tries: int) -> FeedError:
        counted = f" ({tries} tries)" if tries > 1 else ""
        hints = {429: _HINT_RATE, None: _HINT_SLOW}
        hint = hints.get(failure.status)
        return FeedError(
            failure.message + counted, url=url, status=failure.status, hint=hint, gave_up=True
        )

    def _too_large(self, url: str, status: int | None) -> FeedError:
        message = f"feed is larger than the {_size(self._max_bytes)} cap"
        return FeedError(message, url=url, status=status, hint=_HINT_SIZE)

    # -- files --------------------------------------------------------------

    def _read_file(self, location: str, path: Path) -> Fetched:
        try:
            with path.open("rb") as handle:
                if os.fstat(handle.fileno()).st_size > self._max_bytes:
                    raise self._too_large(location, None)
                content = handle.read(self._max_bytes + 1)  # the file may grow meanwhile
        except FileNotFoundError:  # status 404 so callers treat it like a missing URL
            raise FeedError(
                f"file not found: {path}", url=location, status=404, hint=_HINT_URL
            ) from None
        except OSError as exc:
            raise FeedError(f"cannot read {path}: {exc.strerror}", url=location) from None
        if len(content) > self._max_bytes:
            raise self._too_large(location, None)
        return Fetched(location, 200, content, None, None, None)


def _local_path(location: str) -> Path | None:
    if location.startswith("file://"):
        return Path(url2pathname(urlsplit(location).path))
    return None if "://" in location else Path(location)


def _check_is_feed(url: str, status: int, content_type: str | None, content: bytes) -> None:
    media = (content_type or "").split(";")[0].strip().lower()
    if "html" not in media and any(hint in media for hint in _FEED_MEDIA_HINTS):
        return
    if _FEED_START.match(content[:4096]):  # mislabelled but plainly a feed
        return
    got = media or "no content type"
    raise FeedError(f"expected a feed, got {got}", url=url, status=status, hint=_HINT_NOT_FEED)


def _status_line(response: httpx.Response) -> str:
    reason = response.reason_phrase
    if not reason:
        try:
            reason = http.HTTPStatus(response.status_code).phrase
        except ValueError:
            reason = ""
    return f"HTTP {response.status_code} {reason}".rstrip()


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1024 * MiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
