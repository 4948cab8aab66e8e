"""Feed documents → Listings. Pure functions: bytes in, ParseResult out, nothing raised.

A bad entry is skipped and counted, a broken document yields what parses, and
either way the reasons land in `ParseResult.problems`, one short line each.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import json
import re
import xml.sax
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from newsletter.arxiv_ids import arxiv_id_from
from newsletter.models import AnnounceType, FeedSpec, Listing, ParseResult, SourceKind
from newsletter.text import clean_authors, clean_text

__all__ = [
    "API_PAGE_SIZE", "api_total_results", "arxiv_id_from", "next_api_page", "parse",
    "requests_for",
]

API_PAGE_SIZE = 200


class _Skip(Exception):
    """An entry that cannot become a Listing; the message completes "N entries …"."""


class _Collector:
    """Listings of one document, one per arXiv id, plus what was passed over."""

    def __init__(self) -> None:
        self.listings: dict[str, Listing] = {}
        self.skips: Counter[str] = Counter()
        self.problems: list[str] = []
        self.merged = 0

    def add(self, make: Callable[..., Listing], *args: Any) -> None:
        try:
            listing = make(*args)
        except _Skip as skip:
            self.skips[str(skip)] += 1
            return
        old = self.listings.get(listing.arxiv_id)
        if old is not None:
            self.merged += 1
            listing = _merge(old, listing)
        self.listings[listing.arxiv_id] = listing

    def result(self) -> ParseResult:
        problems = list(self.problems)
        problems += [f"{_entries(n)} {reason}" for reason, n in self.skips.items()]
        if self.merged:
            problems.append(f"{_entries(self.merged)} repeating an earlier one, merged")
        return ParseResult(list(self.listings.values()), sum(self.skips.values()), problems)


def parse(
    kind: SourceKind,
    content: bytes,
    *,
    feed: str,
    listed_on: date | None = None,
    content_type: str | None = None,
) -> ParseResult:
    """Parse one fetched document of a source kind; `feed` names the source."""
    out = _Collector()
    if not content.strip():
        out.problems.append("empty document")
    elif kind is SourceKind.HF_DAILY:
        _parse_hf(out, content, feed, listed_on, content_type)
    else:
        doc = _parse_xml(out, content, content_type)
        if kind is SourceKind.ARXIV_API:
            _parse_api(out, doc, feed)
        elif kind is SourceKind.ARXIV_RSS:
            _parse_arxiv_rss(out, doc, feed, listed_on)
        else:
            _parse_rss(out, doc, feed, listed_on)
    return out.result()


# -- XML feeds ----------------------------------------------------------------
def _parse_xml(out: _Collector, content: bytes, content_type: str | None) -> Any:
    charset = _charset(content_type)
    # Only a declared charset is passed on: feedparser reads a bare text/xml as
    # US-ASCII (RFC 3023), which would mangle the UTF-8 every feed really uses.
    headers = {"content-type": f"application/xml; charset={charset}"} if charset else None
    doc = feedparser.parse(  # BytesIO: feedparser takes bare bytes for a file name
        io.BytesIO(content), response_headers=headers,
        sanitize_html=False, resolve_relative_uris=False,
    )
    error = doc.get("bozo_exception")
    if isinstance(error, xml.sax.SAXParseException):
        out.problems.append(f"malformed XML at line {error.getLineNumber()}: {error.getMessage()}")
        closed = content.count(b"</item>") + content.count(b"</entry>")
        if len(doc.entries) > closed:  # the document ends inside its last entry
            doc.entries.pop()
            out.skips["cut off by the end of the document"] += 1
    elif error and not isinstance(
        error, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    ):
        out.problems.append(f"unreadable document: {_one_line(error)}")
    if not doc.get("version") and not doc.entries:
        out.problems.append("not an RSS or Atom feed")
    return doc


_ANNOUNCE = re.compile(r"^arXiv:(\S+) Announce Type: ?([\w-]+) ?(?:Abstract: ?)?")
_LEGACY_TITLE = re.compile(
    r"^(.*?)\.?\s*\(arXiv:(\S+?)\s*\[([^\]]+)\]\s*(UPDATED)?\)\s*$", re.DOTALL
)


def _parse_arxiv_rss(out: _Collector, doc: Any, feed: str, listed_on: date | None) -> None:
    channel = doc.feed
    # The announcement day is the channel's date in arXiv's own zone (-04:00/-05:00).
    channel_day = _day(channel.get("published"))
    fallback = _day(channel.get("updated")) or listed_on
    # Legacy RDF feeds are per archive ("cs updates on arXiv.org"): lets us spot cross-lists.
    scope = (channel.get("title") or "").split(" ")[0] or None
    for entry in doc.entries:
        day = channel_day or _day(entry.get("published")) or fallback
        out.add(_arxiv_rss_listing, entry, feed, day, scope)


def _arxiv_rss_listing(entry: Mapping[str, Any], feed: str, day: date | None,
                       scope: str | None) -> Listing:
    title = entry.get("title") or ""
    legacy = _LEGACY_TITLE.match(title)
    if legacy:
        return _legacy_listing(entry, feed, day, scope, legacy)
    abstract = clean_text(entry.get("summary"))
    announce = _ANNOUNCE.match(abstract)
    if announce:
        abstract = abstract[announce.end():]
    found = _first_id(entry.get("id"), entry.get("link"), announce and announce.group(1))
    categories = _terms(entry)
    kind = entry.get("arxiv_announce_type") or (announce.group(2) if announce else None)
    return _listing(
        found, title, feed=feed, abstract=abstract, authors=clean_authors(entry.get("author")),
        categories=categories, primary_category=categories[0] if categories else None,
        listed_on=day, announce_type=_announce_type(kind),
    )


def _legacy_listing(entry: Mapping[str, Any], feed: str, day: date | None,
                    scope: str | None, legacy: re.Match[str]) -> Listing:
    title, raw_id, category, updated = legacy.groups()
    cross = scope is not None and category != scope and not category.startswith(scope + ".")
    kind = {(False, False): "new", (True, False): "cross", (False, True): "replace",
            (True, True): "replace-cross"}[(cross, bool(updated))]
    return _listing(
        _first_id(raw_id, entry.get("link")), title, feed=feed,
        abstract=clean_text(entry.get("summary")), authors=clean_authors(entry.get("author")),
        categories=(category,), primary_category=category, listed_on=day,
        announce_type=AnnounceType(kind),
    )


def _parse_api(out: _Collector, doc: Any, feed: str) -> None:
    for entry in doc.entries:
        if "/api/errors" in (entry.get("id") or ""):  # arXiv reports bad queries as entries
            message = clean_text(entry.get("summary")) or clean_text(entry.get("title"))
            out.problems.append(f"arXiv API error: {message}")
            continue
        out.add(_api_listing, entry, feed)


def _api_listing(entry: Mapping[str, Any], feed: str) -> Listing:
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    categories = _terms(entry)
    if primary and primary not in categories:
        categories = (primary, *categories)
    submitted = _datetime(entry.get("published"))
    names = [a.get("name") or "" for a in entry.get("authors") or []]
    return _listing(
        _first_id(entry.get("id"), entry.get("link")), entry.get("title"), feed=feed,
        abstract=clean_text(entry.get("summary")), authors=clean_authors(names),
        categories=categories, primary_category=primary or (categories[:1] or [None])[0],
        submitted_at=submitted, listed_on=submitted.date() if submitted else None,
    )


def api_total_results(content: bytes) -> int | None:
    """opensearch:totalResults of an arXiv API response, to know whether to page on."""
    match = re.search(rb"<(?:[\w-]+:)?totalResults\b[^>]*>\s*(\d+)\s*<", content)
    return int(match.group(1)) if match else None


_HF_AI_SUMMARY = re.compile(r"^Abstract\s+(?:.*?\s+Generated by \S+\s+)?", re.DOTALL)


def _parse_rss(out: _Collector, doc: Any, feed: str, listed_on: date | None) -> None:
    fallback = _day(doc.feed.get("published")) or _day(doc.feed.get("updated")) or listed_on
    for entry in doc.entries:
        day = _day(entry.get("published")) or _day(entry.get("updated")) or fallback
        out.add(_rss_listing, entry, feed, day)


def _rss_listing(entry: Mapping[str, Any], feed: str, day: date | None) -> Listing:
    links = [entry.get("link"), entry.get("id"), *(link.get("href") for link in entry.get("links", []))]
    contents = entry.get("content") or [{}]  # Atom <content> when there is no <summary>
    abstract = clean_text(entry.get("summary") or contents[0].get("value"))
    announce = _ANNOUNCE.match(abstract)
    if announce:  # an arXiv feed configured as plain RSS
        abstract = abstract[announce.end():]
    else:  # the community feed of HF papers puts an AI summary before the abstract
        abstract = _HF_AI_SUMMARY.sub("", abstract, count=1)
    names = [a.get("name") or "" for a in entry.get("authors") or []]
    categories = _terms(entry)
    return _listing(
        _first_id(*links), entry.get("title"), feed=feed, abstract=abstract,
        authors=clean_authors(names[0] if len(names) == 1 else names),
        categories=categories, primary_category=categories[0] if categories else None,
        listed_on=day, announce_type=_announce_type(entry.get("arxiv_announce_type")),
        on_hugging_face=any("huggingface.co/" in (link or "") for link in links),
    )


# -- Hugging Face daily papers (JSON) -----------------------------------------
def _parse_hf(out: _Collector, content: bytes, feed: str, listed_on: date | None,
              content_type: str | None) -> None:
    try:
        data = json.loads(_json_text(content, content_type))
    except ValueError as exc:  # includes undecodable bytes
        out.problems.append(f"not valid JSON: {_one_line(exc)}")
        return
    if not isinstance(data, list):
        error = data.get("error") if isinstance(data, dict) else None
        out.problems.append(f"expected a JSON list of papers, got {error or type(data).__name__}")
        return
    for item in data:
        out.add(_hf_listing, item, feed, listed_on)


def _hf_listing(item: object, feed: str, listed_on: date | None) -> Listing:
    if not isinstance(item, dict):
        raise _Skip("of the wrong JSON type")
    paper = item.get("paper")
    if not isinstance(paper, dict):  # tolerate a flat list of papers
        paper = item
    raw_id = paper.get("id")
    authors = [a.get("name") for a in paper.get("authors") or [] if isinstance(a, dict)]
    # The list's own day; HF's publishedAt is the arXiv date, not the listing date.
    day = listed_on or _day(paper.get("submittedOnDailyAt")) or _day(item.get("publishedAt"))
    return _listing(
        _first_id(raw_id if isinstance(raw_id, str) else None),
        _str(paper.get("title")) or _str(item.get("title")), feed=feed,
        abstract=clean_text(_str(paper.get("summary")) or _str(item.get("summary"))),
        authors=clean_authors(name for name in authors if isinstance(name, str)),
        submitted_at=_datetime(_str(paper.get("publishedAt"))), listed_on=day,
        upvotes=_int(paper.get("upvotes")), comments=_int(item.get("numComments")),
        on_hugging_face=True,
    )


def _json_text(content: bytes, content_type: str | None) -> bytes | str:
    charset = _charset(content_type)
    if charset and charset.replace("-", "").lower() != "utf8":
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return content.decode(charset)
    return content  # json.loads detects UTF-8/16/32 and a BOM itself


# -- requests -----------------------------------------------------------------
def requests_for(spec: FeedSpec, since: date, until: date) -> list[tuple[str, date | None]]:
    """The locations to fetch for the days since…until (inclusive), each with its list day."""
    if spec.kind is SourceKind.HF_DAILY:
        days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
        return [(_hf_url(spec.url, day), day) for day in days]
    if spec.kind is SourceKind.ARXIV_API:
        return [(_api_first_page(spec.url, since, until), None)]
    return [(spec.url, None)]


def next_api_page(url: str, start: int) -> str:
    """The same arXiv API query from result number `start` on."""
    return _with_params(url, {"start": str(start)})


def _hf_url(url: str, day: date) -> str:
    if "{date}" in url:
        return url.replace("{date}", day.isoformat())
    return f"{url}{'&' if '?' in url else '?'}date={day.isoformat()}"


def _api_first_page(url: str, since: date, until: date) -> str:
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)).get("search_query")
    window = f"submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
    return _with_params(url, {
        "search_query": f"({query}) AND {window}" if query else window,
        "sortBy": "submittedDate", "sortOrder": "ascending",
        "start": "0", "max_results": str(API_PAGE_SIZE),
    })


def _with_params(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*kept, *params.items()])))


def _listing(found: tuple[str, int | None] | None, title: object, **fields: Any) -> Listing:
    if found is None:
        raise _Skip("without an arXiv id")
    clean_title = clean_text(title if isinstance(title, str) else None)
    if not clean_title:
        raise _Skip("without a title")
    return Listing(arxiv_id=found[0], version=found[1], title=clean_title, **fields)


_GAPS = ("abstract", "authors", "categories", "primary_category", "submitted_at", "listed_on")


def _merge(old: Listing, new: Listing) -> Listing:
    """One listing from two of the same paper: the newer version, gaps filled from the other."""
    keep, other = (new, old) if (new.version or 0) >= (old.version or 0) else (old, new)
    gaps = {name: getattr(other, name) for name in _GAPS if not getattr(keep, name)}
    return replace(
        keep, **gaps, upvotes=_max(keep.upvotes, other.upvotes),
        comments=_max(keep.comments, other.comments),
        on_hugging_face=keep.on_hugging_face or other.on_hugging_face,
    )


def _first_id(*candidates: object) -> tuple[str, int | None] | None:
    for candidate in candidates:
        if isinstance(candidate, str) and (found := arxiv_id_from(candidate)):
            return found
    return None


def _terms(entry: Mapping[str, Any]) -> tuple[str, ...]:
    terms = (clean_text(tag.get("term")) for tag in entry.get("tags") or [])
    return tuple(dict.fromkeys(term for term in terms if term))


def _announce_type(value: object) -> AnnounceType:
    try:
        return AnnounceType(str(value).strip().lower())
    except ValueError:
        return AnnounceType.NEW  # feeds that do not say list new papers


def _datetime(value: str | None) -> datetime | None:
    """An aware datetime from RFC 822 (RSS) or ISO 8601 (Atom, JSON) text."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(value: object) -> date | None:
    """The calendar date as written, in the text's own offset (not converted to UTC)."""
    parsed = _datetime(value) if isinstance(value, str) else None
    return parsed.date() if parsed else None


def _charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
