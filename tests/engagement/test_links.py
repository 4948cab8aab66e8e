"""What a clicked link was on, whatever SendGrid's tracking or the reader's client did to it."""

from __future__ import annotations

import json

import pytest

from newsletter.domain.events import LinkKind, Target
from newsletter.domain.issue import IssueRecord
from newsletter.engagement.links import URL_LIMIT, LinkMap, normalise, stored_url
from tests.support.paths import GOLDEN

SITE = "https://news.example.org/letter"


@pytest.fixture(scope="module")
def links() -> LinkMap:
    record = IssueRecord.from_json(json.loads((GOLDEN / "issue.json").read_text(encoding="utf-8")))
    return LinkMap.for_issue(record, SITE)


PAPER = Target(LinkKind.PAPER, "2411.15124", "LLM Training")


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://arxiv.org/abs/2411.15124", PAPER),
        ("https://arxiv.org/pdf/2411.15124", PAPER),
        ("https://huggingface.co/papers/2411.15124", PAPER),
        ("HTTPS://ARXIV.ORG/abs/2411.15124/", PAPER),  # case and a trailing slash
        ("https://arxiv.org/abs/2411.15124v3", PAPER),  # another version: by its id
        ("https://arxiv.org/abs/2411.15124?utm_source=newsletter#section", PAPER),
        ("https://example.com/llm-roadmap-ebook", Target(LinkKind.PROMO, "ebook")),
        ("https://lnkd.in/dtdUYBrM", Target(LinkKind.PROMO, "mentoring")),
        (f"{SITE}/issues/1", Target(LinkKind.VIEW)),
        (f"{SITE}/u/MTI.abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq", Target(LinkKind.UNSUBSCRIBE)),
        ("https://arxiv.org/abs/2412.99999", Target(LinkKind.OTHER)),  # not a paper of the issue
        ("https://news.example.org/elsewhere/u/x", Target(LinkKind.OTHER)),  # not under the site
        ("http://[not a url", Target(LinkKind.OTHER)),
        ("https://example.com/" + "x" * URL_LIMIT, Target(LinkKind.OTHER)),
    ],
)
def test_each_link_counts_for_what_it_is(links: LinkMap, url: str, target: Target) -> None:
    assert links.attribute(url) == target


def test_an_issue_without_a_record_still_knows_the_site() -> None:
    bare = LinkMap.for_issue(None, SITE)
    assert bare.attribute(f"{SITE}/issues/7").kind is LinkKind.VIEW
    assert bare.attribute("https://arxiv.org/abs/2411.15124").kind is LinkKind.OTHER


def test_an_unsubscribe_links_token_is_not_kept() -> None:
    """The token is a key to someone's subscription: the event keeps no URL for it."""
    assert stored_url(f"{SITE}/u/token", Target(LinkKind.UNSUBSCRIBE)) is None
    assert (
        stored_url("https://x.org/" + "y" * 5000, Target(LinkKind.OTHER))
        == ("https://x.org/" + "y" * 5000)[:URL_LIMIT]
    )


def test_normalising_keeps_what_tells_links_apart() -> None:
    assert normalise("https://www.Example.com/a/?b=2&a=1&utm_medium=email") == (
        "https://example.com/a?a=1&b=2"
    )
    assert normalise("https://example.com/a?x=1&amp;y=2") == "https://example.com/a?x=1&y=2"
