"""arXiv's RSS feeds (the 2024 format, the Atom flavour, the old RDF): new, cross, replace."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from newsletter.domain.papers import AnnounceType, Listing
from newsletter.feeds.common import (
    ANNOUNCE,
    Collector,
    announce_type,
    day_of,
    first_id,
    listing,
    terms,
)
from newsletter.feeds.text import clean_authors, clean_text

_LEGACY_TITLE = re.compile(
    r"^(.*?)\.?\s*\(arXiv:(\S+?)\s*\[([^\]]+)\]\s*(UPDATED)?\)\s*$", re.DOTALL
)


def parse_arxiv_rss(out: Collector, doc: Any, feed: str, listed_on: date | None) -> None:
    channel = doc.feed
    # The announcement day is the channel's date in arXiv's own zone (-04:00/-05:00).
    channel_day = day_of(channel.get("published"))
    fallback = day_of(channel.get("updated")) or listed_on
    # Legacy RDF feeds are per archive ("cs updates on arXiv.org"): lets us spot cross-lists.
    scope = (channel.get("title") or "").split(" ")[0] or None
    for entry in doc.entries:
        day = channel_day or day_of(entry.get("published")) or fallback
        out.add(_arxiv_rss_listing, entry, feed, day, scope)


def _arxiv_rss_listing(
    entry: Mapping[str, Any], feed: str, day: date | None, scope: str | None
) -> Listing:
    title = entry.get("title") or ""
    legacy = _LEGACY_TITLE.match(title)
    if legacy:
        return _legacy_listing(entry, feed, day, scope, legacy)
    abstract = clean_text(entry.get("summary"))
    announce = ANNOUNCE.match(abstract)
    if announce:
        abstract = abstract[announce.end() :]
    found = first_id(entry.get("id"), entry.get("link"), announce and announce.group(1))
    categories = terms(entry)
    kind = entry.get("arxiv_announce_type") or (announce.group(2) if announce else None)
    return listing(
        found,
        title,
        feed=feed,
        abstract=abstract,
        authors=clean_authors(entry.get("author")),
        categories=categories,
        primary_category=categories[0] if categories else None,
        listed_on=day,
        announce_type=announce_type(kind),
    )


def _legacy_listing(
    entry: Mapping[str, Any], feed: str, day: date | None, scope: str | None, legacy: re.Match[str]
) -> Listing:
    title, raw_id, category, updated = legacy.groups()
    cross = scope is not None and category != scope and not category.startswith(scope + ".")
    kind = {
        (False, False): "new",
        (True, False): "cross",
        (False, True): "replace",
        (True, True): "replace-cross",
    }[(cross, bool(updated))]
    return listing(
        first_id(raw_id, entry.get("link")),
        title,
        feed=feed,
        abstract=clean_text(entry.get("summary")),
        authors=clean_authors(entry.get("author")),
        categories=(category,),
        primary_category=category,
        listed_on=day,
        announce_type=AnnounceType(kind),
    )
