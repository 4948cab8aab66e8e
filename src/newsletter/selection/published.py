"""Issues the editor published, read back: the sections and the papers in each.

`newsletter learn` takes an issue as published (plain text, Markdown or HTML, as the
newsletter platforms export it): "1. Section" headings, "1.1. Title" papers, optionally
links to arXiv or Hugging Face. The picks are matched to stored papers by arXiv id, else by
title (letters and digits only, so "—" and "--" agree).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from newsletter.feeds.ids import arxiv_id_from

_PAPER = re.compile(r"^(\d+)\.(\d+)\.?\s+(\S.*)$")
_SECTION = re.compile(r"^(\d+)\.\s+(\S.*)$")
_LINK = re.compile(r"https?://(?:www\.)?(?:arxiv\.org|huggingface\.co)/[^\s\"'<>)\]]+")
# [text](url) → text. Neither part may hold its own opening bracket, so each scan stops at
# the next "[" or "(": linear on any line (a line of 40,000 "[" took 4.7 s before).
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
_MD_ESCAPE = re.compile(r"\\([\\`*_\[\]<>#|])")
_BLOCKS = {
    "p",
    "div",
    "li",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "ul",
    "ol",
}


@dataclass(frozen=True, slots=True)
class PublishedPick:
    number: str  # "1.2"
    title: str
    section: str
    arxiv_id: str | None  # from a link in the paper's part of the issue, when there is one


def read_published(text: str) -> list[PublishedPick]:
    """The papers of a published issue with their sections, in order."""
    lines = _lines(_html_text(text) if "</" in text or "<br" in text else text)
    sections: dict[str, str] = {}
    picks: list[PublishedPick] = []
    for line in lines:
        plain = _MD_ESCAPE.sub(r"\1", _MD_LINK.sub(r"\1", line))
        plain = _LINK.sub("", plain).lstrip("#>*- ").strip().strip("*").strip()
        paper = _PAPER.match(plain)
        if paper:
            title = paper[3].strip().strip("*[]").strip()
            picks.append(
                PublishedPick(
                    f"{paper[1]}.{paper[2]}", title, sections.get(paper[1], ""), _linked(line)
                )
            )
            continue
        section = _SECTION.match(plain)
        if section:
            sections[section[1]] = section[2].strip().strip("*").strip()
        elif picks and picks[-1].arxiv_id is None and (found := _linked(line)):
            last = picks[-1]
            picks[-1] = PublishedPick(last.number, last.title, last.section, found)
    # A heading read after its papers (a table of contents at the end) still names them.
    return [
        PublishedPick(
            p.number, p.title, p.section or sections.get(p.number.split(".")[0], ""), p.arxiv_id
        )
        for p in picks
    ]


def title_key(title: str) -> str:
    """A title compared as letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", title.casefold())


def _linked(line: str) -> str | None:
    for url in _LINK.findall(line):
        found = arxiv_id_from(url)
        if found:
            return found[0]
    return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _html_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    return "".join(reader.parts)


class _Reader(HTMLParser):
    """HTML to lines of text, keeping link targets (as " <url>") for the arXiv ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.hrefs:
            self.parts.append(f" {self.hrefs.pop()} ")  # after the link text: "1.1. Title <url>"
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
