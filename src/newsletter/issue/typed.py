"""What an editor types, read: arXiv ids however written, moves ("2411.17691 to LLM
Reasoning"), orders ("LLM Reasoning: 2411.17691, 2411.17116") and the JSON a review page
posts; each entry strictly (a ConfigError naming it), or one by one with each entry that does
not read refused on its own (`each`), so one typo never costs the other edits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from newsletter.domain.review import Refusal
from newsletter.errors import ConfigError
from newsletter.feeds.ids import arxiv_id_from

T = TypeVar("T")


def each(items: Iterable[Any], read: Callable[[Any], T], refused: list[Refusal]) -> list[T]:
    """Each entry as `read` reads it; one that does not read is refused with why."""
    found = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        try:
            found.append(read(item))
        except ConfigError as exc:
            refused.append(Refusal(_shown(item), reason(exc)))
    return found


def ids(texts: Iterable[Any], refused: list[Refusal]) -> list[str]:
    return each(texts, _one_id, refused)


def _one_id(text: Any) -> str:
    parsed = arxiv_id_from(text) if isinstance(text, str) else None
    if parsed is None:
        raise ConfigError("not an arXiv id", hint="write it like 2411.17691")
    return parsed[0]


def json_move(value: Any) -> tuple[str, str]:
    paper, section = pair(value, "move", "arxiv_id", "section")
    if not isinstance(section, str):
        raise ConfigError("'section' must be a string")
    return _one_id(paper), named(section, f"to move {paper} to")


def json_order(value: Any) -> tuple[str, list[Any]]:
    section, papers = pair(value, "order", "section", "arxiv_ids")
    return named(section, "to order"), as_list(papers, "order")


def _shown(item: Any) -> str:
    """An entry as the answer names it: as the editor would write it, short, one line."""
    if isinstance(item, dict) and {"arxiv_id", "section"} <= set(item):
        item = f"{item['arxiv_id']} to {item['section']}"
    elif isinstance(item, dict) and {"section", "arxiv_ids"} <= set(item):
        item = f"{item['section']}: {item['arxiv_ids']}"
    text = " ".join((item if isinstance(item, str) else repr(item)).split())
    return text if len(text) <= 80 else text[:79] + "…"


def reason(exc: ConfigError) -> str:
    text = str(exc)
    return f"{text} ({exc.hint})" if exc.hint and exc.hint != ConfigError.hint else text


def arxiv_id(text: str) -> str:
    """The bare id in what an editor types: "2411.17691", "arXiv:2411.17691v2", an arxiv.org
    abs/pdf or huggingface.co/papers URL; ConfigError for anything else."""
    parsed = arxiv_id_from(text)
    if parsed is None:
        raise ConfigError(f"{text!r} is not an arXiv id", hint="write it like 2411.17691")
    return parsed[0]


def arxiv_ids(texts: Iterable[str]) -> tuple[str, ...]:
    """Bare ids, each once, from what an editor types (blank entries skipped)."""
    return unique(tuple(arxiv_id(t) for t in texts if t.strip()))


def move(text: str) -> tuple[str, str]:
    paper, sep, section = text.strip().partition(" to ")
    if not sep or not section.strip():
        raise ConfigError(
            f"{text!r} is not a move", hint="write it like: 2411.17691 to LLM Reasoning"
        )
    return paper, section


def order(text: str) -> tuple[str, list[str]]:
    section, sep, ids = text.strip().partition(": ")
    papers = [p for p in re.split(r"[\s,]+", ids) if p]
    if not sep or not section.strip() or not papers:
        raise ConfigError(
            f"{text!r} is not an order",
            hint="write it like: LLM Reasoning: 2411.17691, 2411.17116",
        )
    return section, papers


def named(section: str, what: str) -> str:
    name = " ".join(section.split())
    if not name:
        raise ConfigError(f"no section given {what}")
    return name


def unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def listed(data: dict[str, Any], key: str) -> list[Any]:
    return as_list(data.get(key, []), key)


def as_list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"edits: {key!r} must be a list")
    return value


def strings(values: list[Any], key: str) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"edits: {key!r} must hold strings")
    return values


def pair(value: Any, key: str, first: str, second: str) -> tuple[Any, Any]:
    if not isinstance(value, dict) or set(value) != {first, second}:
        raise ConfigError(f"edits: each {key!r} entry is {{{first!r}, {second!r}}}")
    if not isinstance(value[first], str):
        raise ConfigError(f"edits: {key!r}: {first!r} must be a string")
    return value[first], value[second]


def optional(data: dict[str, Any], key: str, kind: type) -> Any:
    value = data.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        what = "a whole number" if kind is int else "a string"
        raise ConfigError(f"edits: {key!r} must be {what}")
    return value
