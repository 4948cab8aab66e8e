"""Hugging Face Daily Papers: one JSON list per day, with upvotes and comments."""

from __future__ import annotations

import contextlib
import json
from datetime import date

from newsletter.domain.papers import Listing
from newsletter.feeds.common import (
    Collector,
    Skip,
    as_int,
    as_str,
    charset,
    day_of,
    first_id,
    listing,
    one_line,
    parse_datetime,
)
from newsletter.feeds.text import clean_authors, clean_text


def parse_hf(
    out: Collector, content: bytes, feed: str, listed_on: date | None, content_type: str | None
) -> None:
    try:
        data = json.loads(_json_text(content, content_type))
    except ValueError as exc:  # includes undecodable bytes
        out.problems.append(f"not valid JSON: {one_line(exc)}")
        return
    if not isinstance(data, list):
        error = data.get("error") if isinstance(data, dict) else None
        out.problems.append(f"expected a JSON list of papers, got {error or type(data).__name__}")
        return
    for item in data:
        out.add(_hf_listing, item, feed, listed_on)


def _hf_listing(item: object, feed: str, listed_on: date | None) -> Listing:
    if not isinstance(item, dict):
        raise Skip("of the wrong JSON type")
    paper = item.get("paper")
    if not isinstance(paper, dict):  # tolerate a flat list of papers
        paper = item
    raw_id = paper.get("id")
    authors = [a.get("name") for a in paper.get("authors") or [] if isinstance(a, dict)]
    # The list's own day; HF's publishedAt is the arXiv date, not the listing date.
    day = listed_on or day_of(paper.get("submittedOnDailyAt")) or day_of(item.get("publishedAt"))
    return listing(
        first_id(raw_id if isinstance(raw_id, str) else None),
        as_str(paper.get("title")) or as_str(item.get("title")),
        feed=feed,
        abstract=clean_text(as_str(paper.get("summary")) or as_str(item.get("summary"))),
        authors=clean_authors(name for name in authors if isinstance(name, str)),
        submitted_at=parse_datetime(as_str(paper.get("publishedAt"))),
        listed_on=day,
        upvotes=as_int(paper.get("upvotes")),
        comments=as_int(item.get("numComments")),
        on_hugging_face=True,
    )


def _json_text(content: bytes, content_type: str | None) -> bytes | str:
    declared = charset(content_type)
    if declared and declared.replace("-", "").lower() != "utf8":
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return content.decode(declared)
    return content  # json.loads detects UTF-8/16/32 and a BOM itself


def day_url(url: str, day: date) -> str:
    if "{date}" in url:
        return url.replace("{date}", day.isoformat())
    return f"{url}{'&' if '?' in url else '?'}date={day.isoformat()}"
