"""Merging what feeds say about a paper (pure, no I/O): newer versions win the text, signals add
up, and the listing date that decides a paper's week. The store calls it for every merge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from newsletter.domain.papers import AnnounceType, Listing, Paper, Signal


def merge_listing(old: Paper | None, item: Listing) -> Paper:
    """The paper after one more feed listed it: newer versions win the text, signals add up."""
    sigs = _merge_signals(old.signals if old else (), item)
    if old is None:
        return paper_from(item, sigs)
    mine, theirs = item.version or 0, old.version or 0

    def pick(new: Any, current: Any) -> Any:
        if not new or not current:
            return new or current
        if mine != theirs:
            return new if mine > theirs else current
        return max(current, new, key=lambda v: (len(v), v))  # same version: order-free choice

    submitted = [t for t in (old.submitted_at, item.submitted_at) if t is not None]
    return replace(
        old,
        version=max(old.version or 0, item.version or 0) or None,
        title=pick(item.title, old.title),
        abstract=pick(item.abstract, old.abstract),
        authors=pick(item.authors, old.authors),
        categories=pick(item.categories, old.categories),
        primary_category=pick(item.primary_category, old.primary_category),
        submitted_at=min(submitted) if submitted else None,
        hf_url=old.hf_url or _hf_url(item),
        listed_on=listing_date(sigs),
        signals=sigs,
    )


def listing_date(sigs: Sequence[Signal]) -> dt.date | None:
    """The date that decides a paper's week.

    A curated list (Hugging Face Daily Papers) decides when it listed the paper, since the
    editor picks from those lists; otherwise the first arXiv announcement. Replacements
    never date a paper: a revision is not news.
    """
    fresh = [s for s in sigs if not s.announce_type.is_replacement and s.listed_on]
    curated = [s.listed_on for s in fresh if s.on_hugging_face and s.listed_on]
    dates = curated or [s.listed_on for s in fresh if s.listed_on]
    return min(dates) if dates else None


def _merge_signals(current: Sequence[Signal], item: Listing) -> tuple[Signal, ...]:
    by_feed = {s.feed: s for s in current}
    incoming = Signal(
        feed=item.feed,
        listed_on=item.listed_on,
        announce_type=item.announce_type,
        upvotes=item.upvotes,
        comments=item.comments,
        on_hugging_face=item.on_hugging_face,
    )
    prior = by_feed.get(item.feed)
    by_feed[item.feed] = incoming if prior is None else _combine(prior, incoming)
    return tuple(sorted(by_feed.values(), key=lambda s: s.feed))


def _combine(a: Signal, b: Signal) -> Signal:
    """Order-free so that re-ingesting in any order gives the same row."""
    announce = min(a.announce_type, b.announce_type, key=_ANNOUNCE_RANK.index)
    fresh = [s for s in (a, b) if not s.announce_type.is_replacement] or [a, b]
    dates = [s.listed_on for s in fresh if s.listed_on]
    return Signal(
        feed=a.feed,
        listed_on=min(dates) if dates else None,
        announce_type=announce,
        upvotes=_max_known(a.upvotes, b.upvotes),
        comments=_max_known(a.comments, b.comments),
        on_hugging_face=a.on_hugging_face or b.on_hugging_face,
    )


_ANNOUNCE_RANK = [
    AnnounceType.NEW,
    AnnounceType.CROSS,
    AnnounceType.REPLACE,
    AnnounceType.REPLACE_CROSS,
]


def _max_known(a: int | None, b: int | None) -> int | None:
    known = [v for v in (a, b) if v is not None]
    return max(known) if known else None


def paper_from(item: Listing, sigs: tuple[Signal, ...]) -> Paper:
    return Paper(
        arxiv_id=item.arxiv_id,
        title=item.title,
        abstract=item.abstract,
        version=item.version,
        authors=item.authors,
        categories=item.categories,
        primary_category=item.primary_category,
        submitted_at=item.submitted_at,
        listed_on=listing_date(sigs),
        abs_url=f"https://arxiv.org/abs/{item.arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{item.arxiv_id}",
        hf_url=_hf_url(item),
        signals=sigs,
    )


def _hf_url(item: Listing) -> str | None:
    return f"https://huggingface.co/papers/{item.arxiv_id}" if item.on_hugging_face else None
