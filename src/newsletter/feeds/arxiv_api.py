"""arXiv API query results (Atom), paged, restricted to a date range: the backfill source."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsletter.domain.papers import Listing
from newsletter.feeds.common import Collector, first_id, listing, parse_datetime, terms
from newsletter.feeds.text import clean_authors, clean_text

API_PAGE_SIZE = 200


def parse_api(out: Collector, doc: Any, feed: str) -> None:
    for entry in doc.entries:
        if "/api/errors" in (entry.get("id") or ""):  # arXiv reports bad queries as entries
            message = clean_text(entry.get("summary")) or clean_text(entry.get("title"))
            out.problems.append(f"arXiv API error: {message}")
            continue
        out.add(_api_listing, entry, feed)


def _api_listing(entry: Mapping[str, Any], feed: str) -> Listing:
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    categories = terms(entry)
    if primary and primary not in categories:
        categories = (primary, *categories)
    submitted = parse_datetime(entry.get("published"))
    names = [a.get("name") or "" for a in entry.get("authors") or []]
    return listing(
        first_id(entry.get("id"), entry.get("link")),
        entry.get("title"),
        feed=feed,
        abstract=clean_text(entry.get("summary")),
        authors=clean_authors(names),
        categories=categories,
        primary_category=primary or (categories[:1] or [None])[0],
        submitted_at=submitted,
        listed_on=submitted.date() if submitted else None,
    )


def api_total_results(content: bytes) -> int | None:
    """opensearch:totalResults of an arXiv API response, to know whether to page on."""
    match = re.search(rb"<(?:[\w-]+:)?totalResults\b[^>]*>\s*(\d+)\s*<", content)
    return int(match.group(1)) if match else None


def next_api_page(url: str, start: int) -> str:
    """The same arXiv API query from result number `start` on."""
    return _with_params(url, {"start": str(start)})


def first_page(url: str, since: date, until: date) -> str:
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)).get("search_query")
    window = f"submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
    return _with_params(
        url,
        {
            "search_query": f"({query}) AND {window}" if query else window,
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
            "start": "0",
            "max_results": str(API_PAGE_SIZE),
        },
    )


def _with_params(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*kept, *params.items()])))
