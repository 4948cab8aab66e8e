"""Characters no text we keep, mail or serve may hold, and the one place that removes them.

Three kinds, each for a reason:

- **invalid code points**: lone surrogates (U+D800–U+DFFF, which JSON's "\\ud800" escape
  produces) and Unicode's non-characters (U+FDD0–U+FDEF, U+FFFE, U+FFFF and their twins in
  every plane). No encoder writes a lone surrogate, so one of them in a title crashed the
  store's write of a whole feed;
- **invisible format characters** that reorder or hide text: bidi embeddings, overrides and
  isolates (U+202A–U+202E, U+2066–U+2069, LRM, RLM, ALM), zero-width space, word joiner and
  invisible operators, the BOM, interlinear annotations and tag characters. U+202E turns
  "gpj.exe" into what reads as "exe.jpg"; they have no place in a name or a paper's title.
  Zero-width joiner and non-joiner (U+200C, U+200D) stay: Persian, Indic scripts and emoji
  need them, and they move nothing;
- for XML, what XML 1.0 forbids (`xml_text`): C0 controls other than tab, newline and
  carriage return, surrogates, U+FFFE and U+FFFF.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["has_invalid", "visible", "xml_text"]

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)
)
_INVALID = re.compile(f"[\ud800-\udfff{_NONCHARACTERS}]")
_INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
_UNSEEN = re.compile(f"[\ud800-\udfff{_NONCHARACTERS}{_INVISIBLE}]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def visible(text: str) -> str:
    """`text` without invalid code points and invisible format characters (see above).

    >>> visible("Ada\\u202e \\u200bLovelace\\ud800")
    'Ada Lovelace'
    """
    return text if text.isascii() else _UNSEEN.sub("", text)


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 forbids removed, so a document stays well-formed."""
    return _NOT_XML.sub("", text)


def has_invalid(value: object, depth: int = 0) -> bool:
    """Whether `value` (a string, or lists and mappings of them, as a parser gives them)
    holds a lone surrogate or a non-character anywhere."""
    if isinstance(value, str):
        return not value.isascii() and _INVALID.search(value) is not None
    if depth > 20:  # parsers give a few levels; nothing of ours is deeper
        return False
    if isinstance(value, Mapping):
        return any(has_invalid(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_invalid(v, depth + 1) for v in value)
    return False
