"""The placeholder syntax delivery fills ("%%name%%"), and keeping everything else out of it.

The issue is rendered once; each recipient's message differs only by substituting its
placeholders (`render/placeholders.py` names them). Text from anywhere else (a feed's
title, an abstract, the editor's note) must never become one: ingest and render both
break up its "%%" here, so neither needs to know the other.
"""

from __future__ import annotations

from typing import Any

MARK = "%%"  # a placeholder is MARK + name + MARK
# "%%" with a word joiner between: reads the same, and never forms a placeholder.
PLACEHOLDER_BREAK = "%\u2060%"


class Placeholder(str):
    """A slot delivery fills per recipient or per issue: the only text that may hold "%%"."""

    __slots__ = ()


def neutralise(text: str) -> str:
    """`text` with every "%%" broken up, so that no substitution can ever act on it."""
    return text.replace(MARK, PLACEHOLDER_BREAK) if MARK in text else text


def neutral(value: Any) -> Any:
    """Jinja's finalize: every rendered value but a Placeholder has its "%%" broken up."""
    if type(value) is Placeholder or not isinstance(value, str):
        return value
    return neutralise(value)
