"""A draft as the editor reviews it: a version's picks in issue order, what changed between
two versions (added, removed, moved, reordered), and what a round of edits refused. No I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from newsletter.domain.issue import IssueRecord
from newsletter.domain.learning import Action, Decision


@dataclass(frozen=True, slots=True)
class Picks:
    """A version's papers in issue order, each with its section."""

    placed: tuple[tuple[str, str], ...] = ()  # (section, arXiv id)

    @classmethod
    def of(cls, record: IssueRecord) -> Picks:
        return cls(tuple((s.name, p.arxiv_id) for s, p in record.picks))

    @classmethod
    def from_json(cls, data: Any) -> Picks:
        return cls(tuple((str(section), str(arxiv_id)) for section, arxiv_id in data or ()))

    def to_json(self) -> list[list[str]]:
        return [[section, arxiv_id] for section, arxiv_id in self.placed]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(arxiv_id for _, arxiv_id in self.placed)

    @property
    def sections(self) -> dict[str, str]:
        """Each paper's section, by arXiv id."""
        return {arxiv_id: section for section, arxiv_id in self.placed}

    def in_section(self, section: str) -> tuple[str, ...]:
        return tuple(i for s, i in self.placed if s == section)

    @property
    def section_count(self) -> int:
        return len({s for s, _ in self.placed})


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed from one version of a draft to another."""

    added: tuple[tuple[str, str], ...] = ()  # (arXiv id, section)
    removed: tuple[str, ...] = ()
    moved: tuple[tuple[str, str, str], ...] = ()  # (arXiv id, from section, to section)
    reordered: tuple[str, ...] = ()  # sections whose papers kept there changed order

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.reordered)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.moved) + len(self.reordered)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [{"arxiv_id": i, "section": s} for i, s in self.added],
            "removed": list(self.removed),
            "moved": [{"arxiv_id": i, "from": a, "to": b} for i, a, b in self.moved],
            "reordered": list(self.reordered),
        }

    def lines(self, titles: dict[str, str] | None = None) -> list[str]:
        """One line per change, for the dashboard and the CLI: "added 2411.1 (Title) to X"."""

        def paper(arxiv_id: str) -> str:
            title = (titles or {}).get(arxiv_id)
            return f"{arxiv_id} «{title}»" if title else arxiv_id

        found = [f"added {paper(i)} to {s}" for i, s in self.added]
        found += [f"removed {paper(i)}" for i in self.removed]
        found += [f"moved {paper(i)} from {a} to {b}" for i, a, b in self.moved]
        found += [f"new order in {s}" for s in self.reordered]
        return found

    def summary(self) -> str:
        """ "+1 −2 ↔1", or "no changes"."""
        parts = [
            f"{sign}{n}"
            for sign, n in (
                ("+", len(self.added)),
                ("−", len(self.removed)),
                ("↔", len(self.moved)),
                ("⇅", len(self.reordered)),
            )
            if n
        ]
        return " ".join(parts) or "no changes"


def changes(before: Picks, after: Picks) -> Changes:
    """From `before` to `after`: papers added (with their section), removed, moved to another
    section, and the sections where the papers that stayed there changed order."""
    old, new = before.sections, after.sections
    added = tuple((i, new[i]) for i in after.ids if i not in old)
    removed = tuple(i for i in before.ids if i not in new)
    moved = tuple((i, old[i], new[i]) for i in after.ids if i in old and old[i] != new[i])
    reordered = []
    for section in dict.fromkeys(s for s, _ in after.placed):
        stayed_before = [i for i in before.in_section(section) if new.get(i) == section]
        stayed_after = [i for i in after.in_section(section) if old.get(i) == section]
        if stayed_before != stayed_after:
            reordered.append(section)
    return Changes(added, removed, moved, tuple(reordered))


@dataclass(frozen=True, slots=True)
class Refusal:
    """One edit of a round that was not applied, and why; the round's others were."""

    item: str  # what the editor wrote: an id, "2411.1 to Section", a section name
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"

    def to_json(self) -> dict[str, str]:
        return {"item": self.item, "reason": self.reason}


def refusals_text(refused: Sequence[Refusal]) -> str:
    return "; ".join(str(r) for r in refused)


def unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def decisions(
    week: dt.date, before: Picks, after: Picks, built: Picks, source: str = "approval"
) -> tuple[list[Decision], list[tuple[dt.date, str, tuple[Action, ...]]]]:
    """What a change from `before` to `after` says about the editor's judgement, against the
    week's build (`built`): a paper added, removed or moved away from where the build had
    it, and a section's new order. Undoing an earlier word (a paper put back where the
    build had it, an added paper taken out again) is no decision: it is forgotten instead.
    The decisions to keep, and the (week, id, actions) to forget."""
    diff, base = changes(before, after), built.sections
    made: list[Decision] = []
    forget: list[tuple[dt.date, str, tuple[Action, ...]]] = []
    for arxiv_id, section in diff.added:
        if arxiv_id not in base:
            made.append(Decision(week, arxiv_id, Action.ADDED, section, source))
        elif base[arxiv_id] == section:
            forget.append((week, arxiv_id, (Action.ADDED, Action.REMOVED, Action.MOVED)))
        else:
            forget.append((week, arxiv_id, (Action.ADDED, Action.REMOVED)))
            made.append(Decision(week, arxiv_id, Action.MOVED, section, source))
    for arxiv_id in diff.removed:
        if arxiv_id in base:
            made.append(Decision(week, arxiv_id, Action.REMOVED, None, source))
        else:
            forget.append((week, arxiv_id, (Action.ADDED, Action.MOVED, Action.ORDERED)))
    for arxiv_id, _, to in diff.moved:
        if arxiv_id not in base:  # the editor's own addition, in another section now
            made.append(Decision(week, arxiv_id, Action.ADDED, to, source))
        elif base[arxiv_id] == to:
            forget.append((week, arxiv_id, (Action.MOVED,)))
        else:
            made.append(Decision(week, arxiv_id, Action.MOVED, to, source))
    for section in diff.reordered:
        made += [
            Decision(week, arxiv_id, Action.ORDERED, section, source, position=n)
            for n, arxiv_id in enumerate(after.in_section(section), 1)
        ]
    return made, forget
