"""The public archive: the list of sent issues, each issue as it was mailed, an Atom feed."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from markupsafe import escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.characters import xml_text
from newsletter.domain.issue import IssueRecord
from newsletter.render.placeholders import (
    NAME_HTML_PLACEHOLDER,
    NAME_PLACEHOLDER,
    SITE_PLACEHOLDER,
    UNSUBSCRIBE_PLACEHOLDER,
    VIEW_PLACEHOLDER,
    VOTE_PLACEHOLDER,
    VOTE_PREFIX,
    VOTER_PLACEHOLDER,
)
from newsletter.services import archive as archived
from newsletter.services.archive import ArchiveEntry
from newsletter.web.base import deps, error_page, page
from newsletter.web.security import ISSUE_CSP

# The email's vote lines (templates/email/issue.html.j2), and a vote link anywhere else.
VOTE_LINES = re.compile(r'<p class="votes"[^>]*>.*?</p>\n?', re.DOTALL)
VOTE_LINK = re.compile(
    re.escape(f"{SITE_PLACEHOLDER}/v/{VOTER_PLACEHOLDER}.")
    + r"[0-9]+\."
    + re.escape(VOTE_PREFIX)
    + r"[0-9]+%%/[a-z]+"
)
PUBLIC = "public, max-age=300"  # the same for everyone; a new issue shows within minutes
ATOM = "http://www.w3.org/2005/Atom"
MAX_ISSUE = 2**31 - 1  # issue numbers are 32-bit integers in every store


async def archive(request: Request) -> Response:
    """GET /: sent issues, newest first."""
    entries = await run_in_threadpool(archived.sent_issues, deps(request).app)
    return page(request, "archive.html.j2", {"issues": entries}, headers={"Cache-Control": PUBLIC})


async def issue_page(request: Request) -> Response:
    """GET /issues/{number}: the issue as mailed, without anyone's personal links."""
    d, number = deps(request), request.path_params["number"]
    if number > MAX_ISSUE:  # beyond the column's range: no such issue, not a database error
        return error_page(
            request, 404, "No such issue", "There is no published issue with that number."
        )
    html = await run_in_threadpool(archived.issue_html, d.app, number)
    if html is None:
        return error_page(
            request, 404, "No such issue", "There is no published issue with that number."
        )
    body = web_view(
        html,
        view_url=d.url(f"/issues/{number}"),
        neutral_url=d.url("/subscribe"),
        site_url=d.sender.base_url,
    )
    return HTMLResponse(
        body, headers={"Content-Security-Policy": ISSUE_CSP, "Cache-Control": PUBLIC}
    )


def web_view(html: str, *, view_url: str, neutral_url: str, site_url: str = "") -> str:
    """The stored email with its placeholders filled for everyone: the page's own address,
    a neutral link where the reader's unsubscribe link was, and no name. The vote links are
    a reader's own: their lines go (and any vote link a custom template put elsewhere leads
    to the subscribe page)."""
    html = VOTE_LINK.sub(str(escape(neutral_url)), VOTE_LINES.sub("", html))
    filled = {
        SITE_PLACEHOLDER: str(escape(site_url)),
        VIEW_PLACEHOLDER: str(escape(view_url)),
        UNSUBSCRIBE_PLACEHOLDER: str(escape(neutral_url)),
        NAME_PLACEHOLDER: "",
        NAME_HTML_PLACEHOLDER: "",
    }
    for placeholder, value in filled.items():
        html = html.replace(placeholder, value)
    return VOTE_PLACEHOLDER.sub("", html.replace(VOTER_PLACEHOLDER, ""))


async def feed(request: Request) -> Response:
    """GET /feed.xml: the newsletter itself as an Atom feed."""
    d = deps(request)
    entries = await run_in_threadpool(archived.sent_issues, d.app)
    xml = atom_feed(
        entries, base_url=d.sender.base_url, title=d.sender.from_name or "Newsletter", now=d.clock()
    )
    return Response(
        xml, media_type="application/atom+xml; charset=utf-8", headers={"Cache-Control": PUBLIC}
    )


def atom_feed(
    entries: Sequence[ArchiveEntry], *, base_url: str, title: str, now: dt.datetime
) -> bytes:
    """An Atom 1.0 document (RFC 4287); ElementTree escapes every text, and every text and
    attribute loses the characters XML 1.0 forbids first, so the document is well-formed
    whatever the store holds (a title with U+FFFF in it, say)."""
    root = ET.Element("feed", xmlns=ATOM)
    _text(root, "id", f"{base_url}/")
    _text(root, "title", title)
    _text(root, "updated", _stamp(max((_when(e) for e in entries), default=now)))
    _link(root, f"{base_url}/feed.xml", rel="self")
    _link(root, f"{base_url}/", rel="alternate", type="text/html")
    _text(ET.SubElement(root, "author"), "name", title)
    for entry in entries:
        url = f"{base_url}/issues/{entry.number}"
        item = ET.SubElement(root, "entry")
        _text(item, "id", url)
        _text(item, "title", entry.title)
        _link(item, url, rel="alternate", type="text/html")
        _text(item, "published", _stamp(_when(entry)))
        _text(item, "updated", _stamp(_when(entry)))
        _text(item, "summary", summary(entry.record), type="text")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def summary(record: IssueRecord) -> str:
    """The subtitle and the picks' titles, one a line."""
    lines = [record.subtitle] if record.subtitle else []
    lines += [f"{paper.number} {paper.title}".strip() for _, paper in record.picks]
    return "\n".join(lines)


def _when(entry: ArchiveEntry) -> dt.datetime:
    return entry.sent_at or dt.datetime.combine(entry.week_start, dt.time(), dt.UTC)


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> None:
    ET.SubElement(parent, tag, attrs).text = xml_text(text)


def _link(parent: ET.Element, href: str, **attrs: str) -> None:
    ET.SubElement(parent, "link", attrs, href=xml_text(href))
