"""Issue → HTML email (CSS inlined), plain text, Markdown and JSON (pure, given templates).

Per-recipient parts (the unsubscribe link, each paper's vote links) and the "view in browser"
address are left as placeholders: delivery fills them by substitution, never by re-rendering
per subscriber.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from premailer import Premailer

from newsletter.config.editor import TextsConfig
from newsletter.domain.issue import Issue, IssueRecord
from newsletter.domain.placeholders import neutral
from newsletter.render.placeholders import HTML_LINKS, PLACEHOLDER_LINKS, vote_placeholder

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    text: str
    markdown: str
    record: IssueRecord  # what issue.json and the store keep


def environment(templates: Path) -> jinja2.Environment:
    """Autoescaping on for HTML: a title with `<script>` shows as text; and no value but a
    placeholder can put a delivery placeholder into the output."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        finalize=neutral,
    )
    env.filters["md"] = markdown_escape
    env.filters["authors"] = author_line
    return env


def render(
    issue: Issue,
    env: jinja2.Environment,
    *,
    texts: TextsConfig,
    preheader: str,
) -> Rendered:
    # each paper's vote token, by its place in the issue (the place a vote link is signed for)
    votes = {p.arxiv_id: vote_placeholder(n) for n, p in enumerate(issue.papers, 1)}
    context = {
        "issue": issue,
        "texts": texts,
        "preheader": preheader,
        "links": PLACEHOLDER_LINKS,
        "votes": votes,
    }
    html = env.get_template("email/issue.html.j2").render({**context, "links": HTML_LINKS})
    return Rendered(
        html=inline_css(html),
        text=_tidy(env.get_template("email/issue.txt.j2").render(context)),
        markdown=_tidy(env.get_template("email/issue.md.j2").render(context)),
        record=IssueRecord.of(issue),
    )


def inline_css(html: str) -> str:
    """Move the stylesheet into style attributes; media queries (dark mode) stay in <style>."""
    inlined: str = Premailer(
        html,
        allow_network=False,
        keep_style_tags=False,
        strip_important=False,
        cssutils_logging_level=logging.CRITICAL,
        disable_validation=True,
    ).transform()
    return inlined


def markdown_escape(text: str) -> str:
    """Markdown treats these as markup, and `<` as raw HTML; escape them."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def author_line(authors: Sequence[str], shown: int = 6) -> str:
    if len(authors) <= shown:
        return ", ".join(authors)
    return f"{', '.join(authors[:shown])} and {len(authors) - shown} more"


def _tidy(text: str) -> str:
    """Collapse the blank lines template logic leaves behind; end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"
