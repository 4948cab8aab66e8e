"""What every parser shares: the collector of one document's listings, XML reading, and the
small readers of ids, dates and terms. Pure: text in, values out."""

from __future__ import annotations

import email.utils
import io
import re
import xml.sax
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import feedparser

from newsletter.characters import has_invalid
from newsletter.domain.papers import AnnounceType, Listing, ParseResult
from newsletter.feeds.ids import arxiv_id_from
from newsletter.feeds.text import clean_text


class Skip(Exception):
    """An entry that cannot become a Listing; the message completes "N entries …"."""


class Collector:
    """Listings of one document, one per arXiv id, plus what was passed over or repaired.

    A bad entry costs only itself: one that cannot be read is skipped, one with invalid
    characters (a lone surrogate, a non-character) keeps its cleaned text; either way it is
    named in `problems`, and every other entry of the document is kept.
    """

    NAMED = 10  # entries named one by one per document; the rest are counted

    def __init__(self, feed: str = "") -> None:
        self.feed = feed
        self.listings: dict[str, Listing] = {}
        self.skips: Counter[str] = Counter()
        self.problems: list[str] = []
        self.merged = 0
        self.repaired = 0
        self.entries = 0
        self.named = 0

    def add(self, make: Callable[..., Listing], *args: Any) -> None:
        self.entries += 1
        try:
            listing = make(*args)
        except Skip as skip:
            self.skips[str(skip)] += 1
            return
        except Exception as exc:  # a parser bug or a shape nobody foresaw: this entry only
            self.skips["that could not be read"] += 1
            self._name(f"entry {self.entries}", f"skipped: {type(exc).__name__}: {one_line(exc)}")
            return
        if has_invalid(args):
            self.repaired += 1
            self._name(
                f"entry {listing.arxiv_id} ({listing.title[:40]!r})",
                "invalid characters (lone surrogates, non-characters) removed",
            )
        old = self.listings.get(listing.arxiv_id)
        if old is not None:
            self.merged += 1
            listing = merge(old, listing)
        self.listings[listing.arxiv_id] = listing

    def _name(self, entry: str, what: str) -> None:
        self.named += 1
        if self.named <= self.NAMED:
            self.problems.append(f"{self.feed} {entry}: {what}".lstrip())

    def result(self) -> ParseResult:
        problems = list(self.problems)
        if self.named > self.NAMED:
            problems.append(f"{entries(self.named - self.NAMED)} more skipped or repaired")
        problems += [f"{entries(n)} {reason}" for reason, n in self.skips.items()]
        if self.merged:
            problems.append(f"{entries(self.merged)} repeating an earlier one, merged")
        return ParseResult(
            list(self.listings.values()), sum(self.skips.values()), problems, self.repaired
        )


def parse_xml(out: Collector, content: bytes, content_type: str | None) -> Any:
    declared = charset(content_type)
    # Only a declared charset is passed on: feedparser reads a bare text/xml as
    # US-ASCII (RFC 3023), which would mangle the UTF-8 every feed really uses.
    headers = {"content-type": f"application/xml; charset={declared}"} if declared else None
    doc = feedparser.parse(  # BytesIO: feedparser takes bare bytes for a file name
        io.BytesIO(content),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
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
        out.problems.append(f"unreadable document: {one_line(error)}")
    if not doc.get("version") and not doc.entries:
        out.problems.append("not an RSS or Atom feed")
    return doc


ANNOUNCE = re.compile(r"^arXiv:(\S+) Announce Type: ?([\w-]+) ?(?:Abstract: ?)?")


def listing(found: tuple[str, int | None] | None, title: object, **fields: Any) -> Listing:
    if found is None:
        raise Skip("without an arXiv id")
    clean_title = clean_text(title if isinstance(title, str) else None)
    if not clean_title:
        raise Skip("without a title")
    return Listing(arxiv_id=found[0], version=found[1], title=clean_title, **fields)


_GAPS = ("abstract", "authors", "categories", "primary_category", "submitted_at", "listed_on")


def merge(old: Listing, new: Listing) -> Listing:
    """One listing from two of the same paper: the newer version, gaps filled from the other."""
    keep, other = (new, old) if (new.version or 0) >= (old.version or 0) else (old, new)
    gaps = {name: getattr(other, name) for name in _GAPS if not getattr(keep, name)}
    return replace(
        keep,
        **gaps,
        upvotes=larger(keep.upvotes, other.upvotes),
        comments=larger(keep.comments, other.comments),
        on_hugging_face=keep.on_hugging_face or other.on_hugging_face,
    )


def first_id(*candidates: object) -> tuple[str, int | None] | None:
    for candidate in candidates:
        if isinstance(candidate, str) and (found := arxiv_id_from(candidate)):
            return found
    return None


def terms(entry: Mapping[str, Any]) -> tuple[str, ...]:
    terms = (clean_text(tag.get("term")) for tag in entry.get("tags") or [])
    return tuple(dict.fromkeys(term for term in terms if term))


def announce_type(value: object) -> AnnounceType:
    try:
        return AnnounceType(str(value).strip().lower())
    except ValueError:
        return AnnounceType.NEW  # feeds that do not say list new papers


def parse_datetime(value: str | None) -> datetime | None:
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


def day_of(value: object) -> date | None:
    """The calendar date as written, in the text's own offset (not converted to UTC)."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed.date() if parsed else None


def charset(content_type: str | None) -> str | None:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def larger(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
