"""The editor's word on a week's issue: one model for every kind of edit, one merge rule,
and one reading of what an editor types (strict, or entry by entry: issue/typed.py).

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
from typing import Any, ClassVar, Protocol, TypeVar

from newsletter.domain.issue import Promo
from newsletter.domain.review import Refusal
from newsletter.domain.taxonomy import Section, find_section
from newsletter.errors import ConfigError
from newsletter.issue import typed
from newsletter.issue.typed import arxiv_id, arxiv_ids

__all__ = ["NO_EDITS", "Edits", "Placed", "arxiv_id", "arxiv_ids"]


class _Paper(Protocol):
    @property
    def arxiv_id(self) -> str: ...


class Placed(Protocol):
    """A paper in a section, as a build's `Candidate` or a stored draft's pick is: a frozen
    dataclass with the paper (its arXiv id) and the section it is in."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def paper(self) -> _Paper: ...

    @property
    def section(self) -> Section: ...


P = TypeVar("P", bound=Placed)

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
        object.__setattr__(self, "add", typed.unique(self.add + moved))
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
            add=tuple(i for i in typed.unique(self.add + later.add) if i not in gone),
            remove=tuple(i for i in typed.unique(self.remove + later.remove) if i not in back),
            move=tuple((i, s) for i, s in moves.items() if i not in gone),
            order=tuple((dict(self.order) | dict(later.order)).items()),
            note=later.note if later.note is not None else self.note,
            size=later.size if later.size is not None else self.size,
            skip_promos=typed.unique(self.skip_promos + later.skip_promos),
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

    def placed(self, candidate: P, sections: Sequence[Section]) -> P:
        """The candidate in the section the editor moved it to, if they did."""
        target = find_section(dict(self.move).get(candidate.paper.arxiv_id), sections)
        return replace(candidate, section=target) if target else candidate

    def arranged(self, section: str, papers: Sequence[P]) -> list[P]:
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
        picks: Sequence[P],
        added: Mapping[str, P],
        sections: Sequence[Section],
    ) -> list[P]:
        """A draft's picks with these edits and nothing else: removed papers go, added ones
        (their candidates in `added`) come in, moved ones change section. Nothing fills a
        gap, nothing is pushed out: what a review of an existing draft needs."""
        kept = [self.placed(c, sections) for c in picks if c.paper.arxiv_id not in self.remove]
        have = {c.paper.arxiv_id for c in kept}
        for paper_id in self.add:
            if paper_id in have:
                continue
            if paper_id not in added:
                raise ConfigError(f"cannot add {paper_id}: it is not a candidate of the week")
            kept.append(self.placed(added[paper_id], sections))
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
        moves = [(typed.arxiv_id(i), typed.named(s, f"to move {i} to")) for i, s in move]
        orders = {typed.named(s, "to order"): typed.arxiv_ids(ids) for s, ids in order}
        if note is not None and len(note) > MAX_NOTE:
            raise ConfigError(
                f"the note has {len(note)} characters; at most {MAX_NOTE}",
                hint="shorten the note",
            )
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            raise ConfigError(f"size {size!r}: give a number of papers, at least 1")
        return cls(
            add=typed.arxiv_ids(add),
            remove=typed.arxiv_ids(remove),
            move=tuple(dict(moves).items()),
            order=tuple(orders.items()),
            note=note.strip() if note is not None else None,
            size=size,
            skip_promos=typed.unique(tuple(n.strip() for n in skip_promos if n.strip())),
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
            move=[typed.move(t) for t in move if t.strip()],
            order=[typed.order(t) for t in order if t.strip()],
            note=note,
            size=size,
            skip_promos=skip_promos,
        )

    @classmethod
    def typed_leniently(
        cls,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        move: Iterable[str] = (),
        order: Iterable[str] = (),
        note: str | None = None,
    ) -> tuple[Edits, tuple[Refusal, ...]]:
        """`typed`, but a typo refuses only itself: the edits that read, and each entry that
        did not with why (the dashboard's form: one bad id must not lose the others)."""
        refused: list[Refusal] = []
        moves = typed.each(move, typed.move, refused)
        orders = typed.each(order, typed.order, refused)
        return _lenient(
            refused,
            add=typed.ids(add, refused),
            remove=typed.ids(remove, refused),
            move=[(i, s) for i, s in moves],
            order=[(s, typed.ids(ids, refused)) for s, ids in orders],
            note=note,
        )

    @classmethod
    def from_json_leniently(cls, data: Any) -> tuple[Edits, tuple[Refusal, ...]]:
        """`from_json`, but a bad entry refuses only itself (the review page's API). What is
        not an object of known keys holding lists is a ConfigError: a client's mistake, not
        an editor's typo."""
        if not isinstance(data, dict):
            raise ConfigError("edits must be a JSON object")
        unknown = sorted(set(data) - set(cls().to_json()))
        if unknown:
            raise ConfigError(f"edits: unknown keys {', '.join(unknown)}")
        refused: list[Refusal] = []
        moves = typed.each(typed.listed(data, "move"), typed.json_move, refused)
        orders = typed.each(typed.listed(data, "order"), typed.json_order, refused)
        return _lenient(
            refused,
            add=typed.ids(typed.listed(data, "add"), refused),
            remove=typed.ids(typed.listed(data, "remove"), refused),
            move=moves,
            order=[(s, typed.ids(ids, refused)) for s, ids in orders],
            note=typed.optional(data, "note", str),
            skip_promos=typed.strings(typed.listed(data, "skip_promos"), "skip_promos"),
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
        move = [typed.pair(m, "move", "arxiv_id", "section") for m in typed.listed(data, "move")]
        order = [
            typed.pair(o, "order", "section", "arxiv_ids") for o in typed.listed(data, "order")
        ]
        return cls.of(
            add=typed.strings(typed.listed(data, "add"), "add"),
            remove=typed.strings(typed.listed(data, "remove"), "remove"),
            move=[(str(i), str(s)) for i, s in move],
            order=[
                (str(s), typed.strings(typed.as_list(ids, "order"), "order")) for s, ids in order
            ],
            note=typed.optional(data, "note", str),
            size=typed.optional(data, "size", int),
            skip_promos=typed.strings(typed.listed(data, "skip_promos"), "skip_promos"),
        )


# --- what the edits of one round may refuse -------------------------------------------


def _lenient(
    refused: list[Refusal],
    *,
    add: list[str],
    remove: list[str],
    move: list[tuple[str, str]],
    order: list[tuple[str, list[str]]],
    note: str | None,
    skip_promos: list[str] | None = None,
) -> tuple[Edits, tuple[Refusal, ...]]:
    """The edits that read; an id both put in and taken out in one go is neither."""
    moved = [i for i, _ in move]
    both = set(remove) & set(add + moved)
    refused += [Refusal(i, "both added (or moved) and removed: say one") for i in sorted(both)]
    try:
        edits = Edits.of(
            add=[i for i in add if i not in both],
            remove=[i for i in remove if i not in both],
            move=[(i, s) for i, s in move if i not in both],
            order=[(s, ids) for s, ids in order if ids],
            note=note,
            skip_promos=skip_promos or (),
        )
    except ConfigError as exc:  # the note: the only part left that can be refused
        refused.append(Refusal("note", typed.reason(exc)))
        edits = Edits.of(
            add=[i for i in add if i not in both],
            remove=[i for i in remove if i not in both],
            move=[(i, s) for i, s in move if i not in both],
            order=[(s, ids) for s, ids in order if ids],
            skip_promos=skip_promos or (),
        )
    return edits, tuple(refused)


def _section(name: str, sections: Sequence[Section], what: str) -> Section:
    found = find_section(name, sections)
    if found is None:
        names = ", ".join(s.name for s in sections)
        raise ConfigError(f"no section named {name!r} {what}", hint=f"sections: {names}")
    return found


NO_EDITS = Edits()
"""The issue as ranked: nothing added, removed, moved or ordered."""
