"""Spreadsheet-safe CSV cells (OWASP, CSV injection): a cell a spreadsheet would run as a
formula gets a leading apostrophe on export, and import takes it off again, so a file
exported and imported back is unchanged."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """`value` as a cell a spreadsheet shows as text (one more apostrophe before a formula,
    so that a value that already starts with apostrophes comes back whole too)."""
    return f"'{value}" if value.lstrip("'").startswith(FORMULA_STARTS) else value


def restore(value: str) -> str:
    """The value `neutralise` was given."""
    neutralised = value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS)
    return value[1:] if neutralised else value
