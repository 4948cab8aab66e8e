"""The `newsletter.toml` that `newsletter init` writes: nothing hidden.

Its head is the starter shipped with the package (the feeds, `[schedule]` and `[approval]`,
commented); after it come, written out from the very defaults the code uses, every text of
the issue (`[texts]`), the promos and the sections, each explained, so the owner sees and
changes what goes out; `[selection]` follows, commented out, with its defaults. Feeds may be
local files instead: `feeds_from` reads a folder of feed documents.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from newsletter.config.editor import (
    DEFAULT_PROMOS,
    FeedConfig,
    PromoConfig,
    SelectionConfig,
    TextsConfig,
)
from newsletter.domain.papers import SourceKind
from newsletter.domain.taxonomy import Section
from newsletter.errors import ConfigError
from newsletter.selection.sections import DEFAULT_SECTIONS

_FEEDS = re.compile(r"(?ms)^\[\[feeds\]\].*?(?=^# [^\n]*\n(?:#[^\n]*\n)*\[schedule\])")
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_XML = (".xml", ".rss", ".atom", ".rdf")


def starter_toml(head: str, feeds: Sequence[FeedConfig] | None = None) -> str:
    """`head` (the shipped starter), its feeds replaced by `feeds` when given, then the issue's
    texts, promos and sections, and the selection's settings commented out."""
    if feeds is not None:
        head, found = _FEEDS.subn(lambda _: feeds_block(feeds), head, count=1)
        if not found:
            raise ConfigError("the starter newsletter.toml has no [[feeds]] before [schedule]")
    return "\n".join(
        [
            head.rstrip("\n") + "\n",
            texts_block(TextsConfig()),
            promos_block(DEFAULT_PROMOS),
            sections_block(DEFAULT_SECTIONS),
            selection_block(SelectionConfig()),
        ]
    )


# -- the blocks ------------------------------------------------------------------------------


def feeds_block(feeds: Sequence[FeedConfig]) -> str:
    lines = []
    for feed in feeds:
        lines += ["[[feeds]]", *_pairs(feed.model_dump()), ""]
    return "\n".join(lines) + "\n"


def texts_block(texts: TextsConfig) -> str:
    return "\n".join(
        [
            "# --- What goes out -----------------------------------------------------------------",
            "# Every fixed text of the issue. In title, subtitle, intro, toc_heading and preheader:",
            "# {start} and {end} (DD/MM: the week's Monday and its last day with listings),",
            '# {week_name} ("Fourth Week of November 2024") and {count} (papers in the issue).',
            "# preheader: the line mail clients show after the subject. sign_off: paragraphs after",
            "# the last promo. footer: {subtitle} is the subtitle in lower case.",
            "[texts]",
            *_pairs(texts.model_dump()),
            "",
        ]
    )


def promos_block(promos: Sequence[PromoConfig]) -> str:
    lines = [
        "# The promo blocks. position: top | after_intro | after_toc | after_section:N | end.",
        "# text: paragraphs; links: buttons; image (an https URL) and image_alt are optional.",
        "# enabled = false switches one off; `newsletter build --skip-promo NAME` skips one for",
        "# one issue; `promos = []` at the top of this file (instead of these) means none.",
    ]
    for promo in promos:
        values = promo.model_dump(
            exclude_none=True, exclude={"image_alt"} if not promo.image else set()
        )
        lines += ["[[promos]]", *_pairs(values), ""]
    return "\n".join(lines)


def sections_block(sections: Sequence[Section]) -> str:
    lines = [
        "# The issue's sections, in the order it shows them; a paper goes in the one that fits",
        '# it best. keywords: key phrases in its title and abstract ("phrase^2" counts twice,',
        '# "phrase^0.5" half); kinds: paper kinds it takes whatever the topic (survey, benchmark,',
        "# scaling_law, replication, open_release, method); catch_all: where a paper with too",
        "# little signal goes (one section at most); aliases: its other names, past and present;",
        "# examples: arXiv ids of papers that belong in it. Add, rename, reorder or remove them.",
    ]
    for section in sections:
        values: dict[str, Any] = {"name": section.name, "description": section.description}
        for key in ("keywords", "kinds", "aliases", "examples"):
            if getattr(section, key):
                values[key] = list(getattr(section, key))
        if section.catch_all:
            values["catch_all"] = True
        lines += ["[[sections]]", *_pairs(values), ""]
    return "\n".join(lines)


def selection_block(selection: SelectionConfig) -> str:
    """`[selection]` commented out: the defaults shown, not pinned (they may improve)."""
    values = selection.model_dump()
    weights = values.pop("weights")
    kinds = weights.pop("kinds")
    lines = [
        "# How papers are picked: the issue's size, how many sections, and the score's weights.",
        "# These are the defaults; uncomment a line to change it.",
        "# [selection]",
        *(f"# {line}" for line in _pairs(values)),
        "# [selection.weights]",
        *(f"# {line}" for line in _pairs(weights)),
        "# [selection.weights.kinds]",
        *(f"# {line}" for line in _pairs(kinds)),
    ]
    return "\n".join(lines) + "\n"


# -- feeds from a folder ---------------------------------------------------------------------


def feeds_from(folder: Path, settings_folder: Path) -> list[FeedConfig]:
    """A feed per document in `folder`: each subfolder of dated lists (YYYY-MM-DD.json) is a
    Hugging Face daily feed read with `{date}`; each RSS, Atom or RDF file an arXiv feed when
    it is arXiv's, else an RSS feed. Paths are relative to the settings folder when inside it."""
    if not folder.is_dir():
        raise ConfigError(f"--feeds-from {folder}: not a folder")
    found: list[FeedConfig] = []
    for sub in sorted(p for p in folder.rglob("*") if p.is_dir()) + [folder]:
        if any(_DATED.match(p.name) for p in sub.iterdir()):
            where = _shown(sub, settings_folder) + "/{date}.json"
            found.append(FeedConfig(name=_name(sub, folder), kind=SourceKind.HF_DAILY, url=where))
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in _XML):
        kind = _kind(path)
        weight = 0.5 if kind is SourceKind.ARXIV_RSS else 1.0
        found.append(
            FeedConfig(
                name=_name(path, folder),
                kind=kind,
                url=_shown(path, settings_folder),
                weight=weight,
            )
        )
    if not found:
        raise ConfigError(
            f"--feeds-from {folder}: no feed documents in it",
            hint="RSS, Atom or RDF files (.xml, .rss, .atom, .rdf), or folders of dated "
            "Hugging Face lists (YYYY-MM-DD.json)",
        )
    names = [f.name for f in found]
    for n, feed in enumerate(found):  # two files of one name in two folders
        if names.count(feed.name) > 1:
            found[n] = feed.model_copy(update={"name": f"{feed.name}-{n + 1}"})
    return found


def _kind(path: Path) -> SourceKind:
    with open(path, "rb") as file:
        head = file.read(8192)
    if b"opensearch" in head and b"arxiv" in head.lower():
        raise ConfigError(
            f"{path}: arXiv API results are queried by URL, not read from a file",
            hint="keep the arxiv-api feed's URL in newsletter.toml; move the file out",
        )
    return SourceKind.ARXIV_RSS if b"arxiv.org" in head.lower() else SourceKind.RSS


def _name(path: Path, folder: Path) -> str:
    relative = path.relative_to(folder).with_suffix("") if path != folder else Path(folder.name)
    return "-".join(relative.parts) or folder.name


def _shown(path: Path, settings_folder: Path) -> str:
    """Relative to the settings folder when inside it (newsletter.toml reads it so), else
    absolute."""
    absolute, base = path.resolve(), settings_folder.resolve()
    if absolute.is_relative_to(base):
        return os.path.relpath(absolute, base)
    return str(absolute)


# -- TOML --------------------------------------------------------------------------------------


def _filled(items: list[str], width: int = 88) -> list[str]:
    """Items of a long list, as many to a line as fit (each long one alone)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(item) + 2 <= width:
            lines[-1] += f" {item},"
        else:
            lines.append(f"{item},")
    return lines


def _pairs(values: dict[str, Any]) -> list[str]:
    return [f"{key} = {_value(value)}" for key, value in values.items() if value is not None]


def _value(value: Any, nested: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v, True)}" for k, v in value.items()) + " }"
    if isinstance(value, Iterable):
        items = [_value(v, True) for v in value]
        if not items:
            return "[]"
        if nested or sum(len(i) + 2 for i in items) < 70:
            return "[" + ", ".join(items) + "]"
        return "[\n" + "".join(f"  {line}\n" for line in _filled(items)) + "]"
    return _value(str(value))
