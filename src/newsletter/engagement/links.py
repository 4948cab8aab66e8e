"""What a clicked link was on: a paper (and its section), a promo (by its name in
newsletter.toml), the view in browser, the unsubscribe link, a vote link, or something else.

SendGrid's click tracking rewrites every link, but its click event carries the link as it
was written (`url`), so a link is recognised by what it is: the issue's own links first
(each paper's arXiv, PDF and Hugging Face links; each promo's links), then the site's
/issues/N, /u/… and /v/… pages, then any arXiv or Hugging Face link to a paper of the issue.
Tracking parameters (utm_*) and fragments do not change what a link is.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsletter.domain.events import LinkKind, Target
from newsletter.domain.issue import IssueRecord
from newsletter.feeds.ids import arxiv_id_from

URL_LIMIT = 2048  # longer is no link of ours: kept cut, counted as other
OTHER = Target(LinkKind.OTHER)


@dataclass(frozen=True, slots=True)
class LinkMap:
    """The links of one issue, and the site they were sent from."""

    base_url: str = ""
    links: dict[str, Target] = field(default_factory=dict)  # normalised URL → target
    papers: dict[str, str] = field(default_factory=dict)  # arXiv id → section

    @classmethod
    def for_issue(cls, record: IssueRecord | None, base_url: str | None) -> LinkMap:
        if record is None:
            return cls(base_url or "")
        links: dict[str, Target] = {}
        papers: dict[str, str] = {}
        for section, paper in record.picks:
            target = Target(LinkKind.PAPER, paper.arxiv_id, section.name)
            papers[paper.arxiv_id] = section.name
            for url in (paper.url, paper.pdf_url, paper.hf_url):
                if url:
                    links.setdefault(normalise(url), target)
        for name, urls in record.promo_links.items():
            for url in urls:
                links.setdefault(normalise(url), Target(LinkKind.PROMO, name))
        return cls(base_url or "", links, papers)

    def attribute(self, url: str) -> Target:
        """What `url` is; OTHER for anything not recognised (or too long to be ours)."""
        if len(url) > URL_LIMIT:
            return OTHER
        key = normalise(url)
        if key in self.links:
            return self.links[key]
        own = self._own_page(key)
        if own is not None:
            return own
        found = arxiv_id_from(key)
        if found and found[0] in self.papers:
            return Target(LinkKind.PAPER, found[0], self.papers[found[0]])
        return OTHER

    def _own_page(self, key: str) -> Target | None:
        site = normalise(self.base_url) if self.base_url else ""
        if not site or not key.startswith(site + "/"):
            return None
        path = key[len(site) :]
        if path.startswith("/u/"):
            return Target(LinkKind.UNSUBSCRIBE)
        if path.startswith("/v/"):
            return Target(LinkKind.VOTE)
        if path.startswith("/issues/"):
            return Target(LinkKind.VIEW)
        return None


def stored_url(url: str, target: Target) -> str | None:
    """The link as kept with the event: an unsubscribe or vote link's token is a key to
    someone's subscription or vote, so it is not kept."""
    if target.kind in (LinkKind.UNSUBSCRIBE, LinkKind.VOTE):
        return None
    return url[:URL_LIMIT]


def normalise(url: str) -> str:
    """One spelling per link: entities decoded, scheme and host lowercased, "www." and a
    trailing slash dropped, no fragment, no utm_* parameters, the rest sorted."""
    try:
        parts = urlsplit(html.unescape(url.strip()))
    except ValueError:  # not a URL at all ("http://[": a stranger's event): compared as text
        return url.strip().lower()
    host = parts.netloc.lower().removeprefix("www.")
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    )
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))
