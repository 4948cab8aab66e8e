"""The editor's word on a week's issue: one model for every kind of edit, one merge rule,
and one parser from what an editor types.

The command line (`newsletter build --include … --move …`), the week's file
(`overrides/<monday>.toml`), the dashboard's approval form and the JSON a review page
posts all make `Edits`; a later word goes on top of an earlier one with `then`. What each
kind of edit does to an issue is written here as well (`placed`, `arranged`, `shows`,
`applied`), so a new kind of edit is added in this module and read where it acts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from newsletter.domain.issue import Candidate, Promo
from newsletter.domain.taxonomy import Section, find_section
from newsletter.errors import ConfigError
from newsletter.feeds.ids import arxiv_id_from

MAX_NOTE = 2000  # characters: a note is a few sentences, not an article
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Edits:
    """The editor's changes to one week's issue; empty, the issue is built as ranked.

    A move implies an add (a moved paper is in the issue, in that section), so every moved
    id is in `add` too. `note` is None when nothing was said about it, "" to have none.
    """

    add: tuple[str, ...] = ()  # arXiv ids in the issue, whatever their score or topic
    remove: tuple[str, ...] = ()  # arXiv ids kept out
    move: tuple[tuple[str, str], ...] = ()  # (arXiv id, section): in the issue, in that section
    order: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (section, ids first, in that order)
    note: str | None = None  # the editor's note, shown under the intro
    size: int | None = None  # papers in the issue (default: [selection] size)
    skip_promos: tuple[str, ...] = ()  # promo blocks left out of this issue

    def __post_init__(self) -> None:
        moved = tuple(arxiv_id for arxiv_id, _ in self.move)
        object.__setattr__(self, "add", _unique(self.add + moved))
        both = [i for i in self.add if i in self.remove]
        if both:
            raise ConfigError(
                f"{', '.join(both)}: both added (or moved) and removed",
                hint="say one of them; a later edit may undo an earlier one",
            )

    def then(self, later: Edits) -> Edits:
        """These edits, then `later`'s on top: the later word wins. A later remove takes
        out an earlier add or move; a later add (or move) takes back an earlier remove; a
        later move, order (per section), note or size replaces the earlier one."""
        gone, back = set(later.remove), set(later.add)
        moves = dict(self.move) | dict(later.move)
        return Edits(
            add=tuple(i for i in _unique(self.add + later.add) if i not in gone),
            remove=tuple(i for i in _unique(self.remove + later.remove) if i not in back),
            move=tuple((i, s) for i, s in moves.items() if i not in gone),
            order=tuple((dict(self.order) | dict(later.order)).items()),
            note=later.note if later.note is not None else self.note,
            size=later.size if later.size is not None else self.size,
            skip_promos=_unique(self.skip_promos + later.skip_promos),
        )

    def resolved(self, sections: Sequence[Section]) -> Edits:
        """The same edits with each section named as configured (aliases and any case
        accepted); ConfigError naming the sections for a name that is none of them."""
        order: dict[str, tuple[str, ...]] = {}
        for name, ids in self.order:
            order[_section(name, sections, f"to order {', '.join(ids)} in").name] = ids
        return replace(
            self,
            move=tuple((i, _section(s, sections, f"to move {i} to").name) for i, s in self.move),
            order=tuple(order.items()),
        )

    # --- what each edit does to an issue ----------------------------------------------

    def placed(self, candidate: Candidate, sections: Sequence[Section]) -> Candidate:
        """The candidate in the section the editor moved it to, if they did."""
        target = find_section(dict(self.move).get(candidate.paper.arxiv_id), sections)
        return replace(candidate, section=target) if target else candidate

    def arranged(self, section: str, papers: Sequence[Candidate]) -> list[Candidate]:
        """A section's papers as the editor ordered them: those the order names first, in
        its order; the others after, as given. Names of papers elsewhere are passed over."""
        wanted = dict(self.order).get(section, ())
        rank = {arxiv_id: n for n, arxiv_id in enumerate(wanted)}
        return sorted(papers, key=lambda c: rank.get(c.paper.arxiv_id, len(rank)))

    def shows(self, promo: Promo) -> bool:
        return promo.name not in self.skip_promos

    @property
    def note_paragraphs(self) -> tuple[str, ...]:
        """The note as paragraphs (split at blank lines, lines joined)."""
        parts = _PARAGRAPH_BREAK.split(self.note or "")
        return tuple(" ".join(p.split()) for p in parts if p.strip())

    def applied(
        self,
        picks: Sequence[Candidate],
        added: Mapping[str, Candidate],
        sections: Sequence[Section],
    ) -> list[Candidate]:
        """A draft's picks with these edits and nothing else: removed papers go, added ones
        (their candidates in `added`) come in, moved ones change section. Nothing fills a
        gap, nothing is pushed out: what a review of an existing draft needs."""
        kept = [self.placed(c, sections) for c in picks if c.paper.arxiv_id not in self.remove]
        have = {c.paper.arxiv_id for c in kept}
        for arxiv_id in self.add:
            if arxiv_id in have:
                continue
            if arxiv_id not in added:
                raise ConfigError(f"cannot add {arxiv_id}: it is not a candidate of the week")
            kept.append(self.placed(added[arxiv_id], sections))
        return kept

    # --- made from what the editor wrote -----------------------------------------------

    @classmethod
    def of(
        cls,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        move: Iterable[tuple[str, str]] = (),
        order: Iterable[tuple[str, Iterable[str]]] = (),
        note: str | None = None,
        size: int | None = None,
        skip_promos: Iterable[str] = (),
    ) -> Edits:
        """Edits from their parts (the week's file, JSON, the forms): every id read as
        `arxiv_id` reads it, sections named, the note and size checked."""
        moves = [(arxiv_id(i), _named(s, f"to move {i} to")) for i, s in move]
        orders = {_named(s, "to order"): arxiv_ids(ids) for s, ids in order}
        if note is not None and len(note) > MAX_NOTE:
            raise ConfigError(
                f"the note has {len(note)} characters; at most {MAX_NOTE}",
                hint="shorten the note",
            )
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            raise ConfigError(f"size {size!r}: give a number of papers, at least 1")
        return cls(
            add=arxiv_ids(add),
            remove=arxiv_ids(remove),
            move=tuple(dict(moves).items()),
            order=tuple(orders.items()),
            note=note.strip() if note is not None else None,
            size=size,
            skip_promos=_unique(tuple(n.strip() for n in skip_promos if n.strip())),
        )

    @classmethod
    def typed(
        cls,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        move: Iterable[str] = (),
        order: Iterable[str] = (),
        note: str | None = None,
        size: int | None = None,
        skip_promos: Iterable[str] = (),
    ) -> Edits:
        """Edits from what an editor types in a form or on the command line: ids as
        `arxiv_id` reads them, moves as "2411.17691 to LLM Reasoning", orders as
        "LLM Reasoning: 2411.17691, 2411.17116". A typo is a ConfigError naming it."""
        return cls.of(
            add=add,
            remove=remove,
            move=[_move(t) for t in move if t.strip()],
            order=[_order(t) for t in order if t.strip()],
            note=note,
            size=size,
            skip_promos=skip_promos,
        )

    # --- JSON, as a review page posts it ----------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "add": list(self.add),
            "remove": list(self.remove),
            "move": [{"arxiv_id": i, "section": s} for i, s in self.move],
            "order": [{"section": s, "arxiv_ids": list(ids)} for s, ids in self.order],
            "note": self.note,
            "size": self.size,
            "skip_promos": list(self.skip_promos),
        }

    @classmethod
    def from_json(cls, data: Any) -> Edits:
        """Edits from `to_json`'s shape (any subset of its keys); ConfigError if malformed."""
        if not isinstance(data, dict):
            raise ConfigError("edits must be a JSON object")
        unknown = sorted(set(data) - set(cls().to_json()))
        if unknown:
            raise ConfigError(f"edits: unknown keys {', '.join(unknown)}")
        move = [_pair(m, "move", "arxiv_id", "section") for m in _list(data, "move")]
        order = [_pair(o, "order", "section", "arxiv_ids") for o in _list(data, "order")]
        return cls.of(
            add=_strings(_list(data, "add"), "add"),
            remove=_strings(_list(data, "remove"), "remove"),
            move=[(str(i), str(s)) for i, s in move],
            order=[(str(s), _strings(_as_list(ids, "order"), "order")) for s, ids in order],
            note=_optional(data, "note", str),
            size=_optional(data, "size", int),
            skip_promos=_strings(_list(data, "skip_promos"), "skip_promos"),
        )


# --- the parser: what an editor types --------------------------------------------------


def arxiv_id(text: str) -> str:
    """The bare id in what an editor types: "2411.17691", "arXiv:2411.17691v2", an arxiv.org
    abs/pdf or huggingface.co/papers URL; ConfigError for anything else."""
    parsed = arxiv_id_from(text)
    if parsed is None:
        raise ConfigError(f"{text!r} is not an arXiv id", hint="write it like 2411.17691")
    return parsed[0]


def arxiv_ids(texts: Iterable[str]) -> tuple[str, ...]:
    """Bare ids, each once, from what an editor types (blank entries skipped)."""
    return _unique(tuple(arxiv_id(t) for t in texts if t.strip()))


def _move(text: str) -> tuple[str, str]:
    paper, sep, section = text.strip().partition(" to ")
    if not sep or not section.strip():
        raise ConfigError(
            f"{text!r} is not a move", hint="write it like: 2411.17691 to LLM Reasoning"
        )
    return paper, section


def _order(text: str) -> tuple[str, list[str]]:
    section, sep, ids = text.strip().partition(": ")
    papers = [p for p in re.split(r"[\s,]+", ids) if p]
    if not sep or not section.strip() or not papers:
        raise ConfigError(
            f"{text!r} is not an order",
            hint="write it like: LLM Reasoning: 2411.17691, 2411.17116",
        )
    return section, papers


def _named(section: str, what: str) -> str:
    name = " ".join(section.split())
    if not name:
        raise ConfigError(f"no section given {what}")
    return name


def _section(name: str, sections: Sequence[Section], what: str) -> Section:
    found = find_section(name, sections)
    if found is None:
        names = ", ".join(s.name for s in sections)
        raise ConfigError(f"no section named {name!r} {what}", hint=f"sections: {names}")
    return found


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _list(data: dict[str, Any], key: str) -> list[Any]:
    return _as_list(data.get(key, []), key)


def _as_list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"edits: {key!r} must be a list")
    return value


def _strings(values: list[Any], key: str) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"edits: {key!r} must hold strings")
    return values


def _pair(value: Any, key: str, first: str, second: str) -> tuple[Any, Any]:
    if not isinstance(value, dict) or set(value) != {first, second}:
        raise ConfigError(f"edits: each {key!r} entry is {{{first!r}, {second!r}}}")
    if not isinstance(value[first], str):
        raise ConfigError(f"edits: {key!r}: {first!r} must be a string")
    return value[first], value[second]


def _optional(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        what = "a whole number" if kind is int else "a string"
        raise ConfigError(f"edits: {key!r} must be {what}")
    return value


NO_EDITS = Edits()
"""The issue as ranked: nothing added, removed, moved or ordered."""
