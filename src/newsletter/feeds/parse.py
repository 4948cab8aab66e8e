"""Feed documents → Listings: one parser module per source kind, chosen here. Pure functions:
bytes in, ParseResult out, nothing raised.

A bad entry is skipped and counted, a broken document yields what parses, and either way
the reasons land in `ParseResult.problems`, one short line each.
"""

from __future__ import annotations

from datetime import date, timedelta

from newsletter.domain.papers import FeedSpec, ParseResult, SourceKind
from newsletter.feeds.arxiv_api import (
    API_PAGE_SIZE,
    api_total_results,
    first_page,
    next_api_page,
    parse_api,
)
from newsletter.feeds.arxiv_rss import parse_arxiv_rss
from newsletter.feeds.common import Collector, parse_xml
from newsletter.feeds.hf_daily import day_url, parse_hf
from newsletter.feeds.rss import parse_rss

__all__ = ["API_PAGE_SIZE", "api_total_results", "next_api_page", "parse", "requests_for"]


def parse(
    kind: SourceKind,
    content: bytes,
    *,
    feed: str,
    listed_on: date | None = None,
    content_type: str | None = None,
) -> ParseResult:
    """Parse one fetched document of a source kind; `feed` names the source."""
    out = Collector(feed)
    if not content.strip():
        out.problems.append("empty document")
    elif kind is SourceKind.HF_DAILY:
        parse_hf(out, content, feed, listed_on, content_type)
    else:
        doc = parse_xml(out, content, content_type)
        if kind is SourceKind.ARXIV_API:
            parse_api(out, doc, feed)
        elif kind is SourceKind.ARXIV_RSS:
            parse_arxiv_rss(out, doc, feed, listed_on)
        else:
            parse_rss(out, doc, feed, listed_on)
    return out.result()


def requests_for(spec: FeedSpec, since: date, until: date) -> list[tuple[str, date | None]]:
    """The locations to fetch for the days since…until (inclusive), each with its list day."""
    if spec.kind is SourceKind.HF_DAILY:
        days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
        return [(day_url(spec.url, day), day) for day in days]
    if spec.kind is SourceKind.ARXIV_API:
        return [(first_page(spec.url, since, until), None)]
    return [(spec.url, None)]
