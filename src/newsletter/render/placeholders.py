"""What the rendered issue leaves for delivery to fill: the per-recipient and per-issue parts.

The issue is rendered once; each recipient's message differs only by substituting these.
A placeholder is a `Placeholder`, so rendering can tell it from text: any other "%%" (in
a title from a feed, say) is broken up and can never become one (`domain/placeholders.py`,
which ingest uses too). Values differ by part: the HTML part gets the reader's name
HTML-escaped, under its own key. Per issue: the view link and the site's address; per
reader: the unsubscribe link, the name, and one vote token for each paper.
"""

from __future__ import annotations

import re

from newsletter.domain.placeholders import Placeholder

UNSUBSCRIBE_PLACEHOLDER = Placeholder("%%unsubscribe_url%%")  # the reader's signed unsubscribe link
VIEW_PLACEHOLDER = Placeholder("%%view_url%%")  # "view in browser": the page in the archive
NAME_PLACEHOLDER = Placeholder("%%name%%")  # the reader's name, in the text part
NAME_HTML_PLACEHOLDER = Placeholder(
    "%%name_html%%"
)  # the reader's name, HTML-escaped, in the HTML part
SITE_PLACEHOLDER = Placeholder("%%site_url%%")  # the web app's address (NEWSLETTER_BASE_URL)
# What the templates call them: `{{ links.unsubscribe }}`, `{{ links.view }}`, `{{ links.name }}`,
# `{{ links.site }}`; a paper's vote token is `{{ votes[paper.arxiv_id] }}` (see vote_placeholder).
PLACEHOLDER_LINKS = {
    "unsubscribe": UNSUBSCRIBE_PLACEHOLDER,
    "view": VIEW_PLACEHOLDER,
    "name": NAME_PLACEHOLDER,
    "site": SITE_PLACEHOLDER,
}
HTML_LINKS = {**PLACEHOLDER_LINKS, "name": NAME_HTML_PLACEHOLDER}
VOTER_PLACEHOLDER = Placeholder("%%voter%%")  # the reader and issue a vote link is signed for
VOTE_PREFIX = "%%vote_"
VOTE_PLACEHOLDER = re.compile(r"%%vote_([1-9][0-9]{0,2})%%")  # a paper's tag, by its place


def vote_key(position: int) -> Placeholder:
    """The reader's tag for the issue's `position`-th paper (from 1)."""
    return Placeholder(f"{VOTE_PREFIX}{position}%%")


def vote_placeholder(position: int) -> Placeholder:
    """The reader's vote token for the issue's `position`-th paper: a link is
    `{site}/v/{token}/up` ("useful") or `/down` ("not for me"). A token is
    `<reader and issue>.<position>.<tag>` (tokens.py): delivery fills the reader's part once
    and one tag per paper, the position is written here."""
    return Placeholder(f"{VOTER_PLACEHOLDER}.{position}.{vote_key(position)}")


def vote_count(body: str) -> int:
    """How many papers a rendered issue has vote links for (0 for issues rendered before)."""
    if VOTE_PREFIX not in body:
        return 0
    return max(int(n) for n in VOTE_PLACEHOLDER.findall(body))
