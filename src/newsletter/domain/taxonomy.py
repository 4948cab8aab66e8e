"""How the issue sorts papers: the kind of a paper, and the numbered sections it can go in.

Plain typed values, no I/O. The phrase tables that decide a kind or a section, and the
default sections, live in `selection/`; here is only what every layer names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class PaperKind(StrEnum):
    SURVEY = "survey"
    BENCHMARK = "benchmark"
    SCALING_LAW = "scaling_law"
    REPLICATION = "replication"
    OPEN_RELEASE = "open_release"
    METHOD = "method"


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the issue.

    `keywords` are lowercase key phrases; "phrase^2" gives a phrase twice the default
    weight of 1. `kinds` are `PaperKind` values the section collects regardless of topic.
    """

    name: str
    description: str
    keywords: tuple[str, ...] = ()
    catch_all: bool = False
    kinds: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # the editor's other names for it, past and present
    examples: tuple[str, ...] = ()  # arXiv ids of papers that belong here: learned from at once


def find_section(name: str | None, sections: Sequence[Section]) -> Section | None:
    """The configured section a name (or one of its aliases) stands for, in any case."""
    if not name:
        return None
    wanted = name.strip().casefold()
    for section in sections:
        if wanted in (n.casefold() for n in (section.name, *section.aliases)):
            return section
    return None


def section_named(name: str | None, sections: Sequence[Section]) -> str | None:
    """The name of the configured section a name (or one of its aliases) stands for."""
    found = find_section(name, sections)
    return found.name if found else None
