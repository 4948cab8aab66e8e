"""Issue → HTML email (CSS inlined), plain text, Markdown and JSON (pure, given templates).

Per-recipient parts (the unsubscribe link) and the "view in browser" address are left as
placeholders: delivery fills them by substitution, never by re-rendering per subscriber.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from premailer import Premailer

from newsletter.models import Candidate, Issue

UNSUBSCRIBE_PLACEHOLDER = "%%unsubscribe_url%%"
VIEW_PLACEHOLDER = "%%view_url%%"
PLACEHOLDER_LINKS = {"unsubscribe": UNSUBSCRIBE_PLACEHOLDER, "view": VIEW_PLACEHOLDER}

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    text: str
    markdown: str
    data: dict[str, Any]


def environment(templates: Path) -> jinja2.Environment:
    """Autoescaping on for HTML: a title with `<script>` shows as text."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["authors"] = author_line
    return env


def render(
    issue: Issue,
    env: jinja2.Environment,
    *,
    texts: Mapping[str, Any],
    preheader: str,
    links: Mapping[str, str] = PLACEHOLDER_LINKS,
) -> Rendered:
    context = {"issue": issue, "texts": texts, "preheader": preheader, "links": links}
    html = env.get_template("email/issue.html.j2").render(context)
    return Rendered(
        html=inline_css(html),
        text=_tidy(env.get_template("email/issue.txt.j2").render(context)),
        markdown=_tidy(env.get_template("email/issue.md.j2").render(context)),
        data=issue_data(issue),
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


def issue_data(issue: Issue) -> dict[str, Any]:
    """The issue as JSON-ready data: the picks by section and every ranked candidate."""
    return {
        "number": issue.number,
        "title": issue.title,
        "subtitle": issue.subtitle,
        "week_start": issue.week_start.isoformat(),
        "week_end": issue.week_end.isoformat(),
        "intro": list(issue.intro),
        "sections": [
            {
                "number": s.number,
                "name": s.name,
                "papers": [
                    {
                        "number": p.number,
                        "arxiv_id": p.arxiv_id,
                        "title": p.title,
                        "url": p.url,
                        "pdf_url": p.pdf_url,
                        "hf_url": p.hf_url,
                        "authors": list(p.authors),
                        "summary": [dataclasses.asdict(b) for b in p.summary],
                        "score": p.score,
                        "why": p.why,
                    }
                    for p in s.papers
                ],
            }
            for s in issue.sections
        ],
        "promos": [p.name for p in issue.promos],
        "candidates": [candidate_data(c) for c in issue.candidates],
    }


def candidate_data(c: Candidate) -> dict[str, Any]:
    return {
        "arxiv_id": c.paper.arxiv_id,
        "title": c.paper.title,
        "score": c.score,
        "section": c.section,
        "kind": c.kind,
        "upvotes": c.paper.upvotes,
        "listed_on": c.paper.listed_on.isoformat() if c.paper.listed_on else None,
        "why": c.why,
    }


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
