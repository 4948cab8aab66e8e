"""A learned model as the store keeps it: JSON of its numbers, never code.

A stored model is its vocabulary with the idf, the section classifier's weights, the
editor's correction's weights, what it learned from, which prior its correction was
fitted against, a format name and a version. Reading one checks every key, type, length
and number; anything else (another format or version, a pickle, a key too many, a NaN) is
refused with `ModelFileError`, and the caller retrains from the stored decisions instead.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from newsletter.errors import NewsletterError
from newsletter.selection.learned import SIGNALS, Correction, SectionModel, SelectionModel
from newsletter.selection.vectors import Vectoriser

FORMAT = "newsletter.selection"
VERSION = 3  # 1 and 2 were pickles (release 0.1): never read
MAX_BYTES = 64 * 1024 * 1024  # far above any real model: a bound before parsing
_TERM = re.compile(r"\w{2,}(?: \w{2,})?")  # what the vectoriser makes: a word or two
_WORD = re.compile(r"\w+")
_KEYS = {
    "format",
    "version",
    "sections",
    "counts",
    "prior",
    "vocabulary",
    "idf",
    "stop_words",
    "section_model",
    "correction",
}


class ModelFileError(NewsletterError):
    """A stored model that is not one this code can read: refused, never executed."""

    hint = "the next build or `newsletter train` trains a new one from the stored decisions"


def dumps(model: SelectionModel) -> str:
    """The model as compact JSON."""
    vectoriser = model.vectoriser
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "sections": list(model.sections),
        "counts": dict(model.counts),
        "prior": model.prior,
        "vocabulary": list(vectoriser.vocabulary) if vectoriser else None,
        "idf": list(vectoriser.idf) if vectoriser else None,
        "stop_words": sorted(vectoriser.stop_words) if vectoriser else None,
        "section_model": _section_json(model.section_model),
        "correction": _correction_json(model.correction),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(text: str | bytes) -> SelectionModel:
    """The model stored as `text`; ModelFileError for anything else."""
    if len(text) > MAX_BYTES:
        raise ModelFileError(f"not a model: {len(text):,} bytes")
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"not a model: not JSON ({type(exc).__name__})") from None
    return from_json(data)


def from_json(data: Any) -> SelectionModel:
    _expect(isinstance(data, dict), "not a JSON object")
    _expect(set(data) == _KEYS, f"expected exactly the keys {sorted(_KEYS)}")
    _expect(data["format"] == FORMAT, f"format is {str(data['format'])[:40]!r}, not {FORMAT!r}")
    _expect(data["version"] == VERSION, f"version {data['version']!r}, this code reads {VERSION}")
    sections = data["sections"]
    _expect(_strings(sections) and sections, "sections must be a list of names")
    _expect(len(set(sections)) == len(sections), "sections must be distinct")
    counts = data["counts"]
    _expect(
        isinstance(counts, dict)
        and all(isinstance(k, str) and _integer(v) for k, v in counts.items()),
        "counts must map names to whole numbers",
    )
    _expect(isinstance(data["prior"], str), "prior must be a string")
    vocabulary, idf, stop_words = data["vocabulary"], data["idf"], data["stop_words"]
    if vocabulary is None:
        _expect(idf is None and stop_words is None, "idf or stop words without a vocabulary")
        _expect(data["section_model"] is None and data["correction"] is None, "no vocabulary")
        return SelectionModel(sections, counts, prior=data["prior"])
    _expect(
        _strings(vocabulary) and all(_TERM.fullmatch(t) for t in vocabulary),
        "vocabulary must hold words and word pairs",
    )
    _expect(len(set(vocabulary)) == len(vocabulary), "vocabulary must be distinct")
    _expect(_numbers(idf, len(vocabulary)) and all(v > 0 for v in idf), "idf: one > 0 a word")
    _expect(
        isinstance(stop_words, list)
        and all(isinstance(w, str) and _WORD.fullmatch(w) for w in stop_words),
        "stop_words must be a list of words",
    )
    return SelectionModel(
        sections,
        counts,
        vectoriser=Vectoriser(vocabulary, [float(v) for v in idf], stop_words),
        section_model=_section_model(data["section_model"], sections, len(vocabulary)),
        correction=_correction(data["correction"], sections, len(vocabulary)),
        prior=data["prior"],
    )


def _section_json(model: SectionModel | None) -> dict[str, Any] | None:
    if model is None:
        return None
    return {
        "classes": list(model.classes),
        "coef": [list(row) for row in model.coef],
        "intercept": list(model.intercept),
        "prior_share": model.prior_share,
    }


def _section_model(data: Any, sections: list[str], words: int) -> SectionModel | None:
    if data is None:
        return None
    _expect(
        isinstance(data, dict) and set(data) == {"classes", "coef", "intercept", "prior_share"},
        "section_model needs exactly classes, coef, intercept and prior_share",
    )
    classes, coef = data["classes"], data["coef"]
    _expect(_strings(classes) and len(classes) >= 2, "section_model: at least two classes")
    _expect(set(classes) <= set(sections), "section_model: a class that is not a section")
    rows = len(classes)
    _expect(
        isinstance(coef, list) and len(coef) == rows and all(_numbers(r, words) for r in coef),
        f"section_model: coef must be {rows} rows of {words} numbers",
    )
    _expect(_numbers(data["intercept"], rows), f"section_model: intercept must be {rows} numbers")
    share = data["prior_share"]
    _expect(_number(share) and 0 <= share <= 1, "section_model: prior_share in [0, 1]")
    return SectionModel(
        tuple(classes),
        tuple(tuple(float(v) for v in row) for row in coef),
        tuple(float(v) for v in data["intercept"]),
        float(share),
    )


def _correction_json(fix: Correction | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "intercept": fix.intercept,
        "words": list(fix.words),
        "signals": dict(zip(SIGNALS, fix.signals, strict=True)),
        "sections": list(fix.sections),
        "c": fix.c,
        "chosen_by": fix.chosen_by,
    }


def _correction(data: Any, sections: list[str], words: int) -> Correction | None:
    if data is None:
        return None
    keys = {"intercept", "words", "signals", "sections", "c", "chosen_by"}
    _expect(
        isinstance(data, dict) and set(data) == keys, f"correction needs exactly {sorted(keys)}"
    )
    signals = data["signals"]
    _expect(
        isinstance(signals, dict)
        and list(signals) == list(SIGNALS)
        and _numbers(list(signals.values()), len(SIGNALS)),
        f"correction: signals must be {list(SIGNALS)}, each a number",
    )
    _expect(_numbers(data["words"], words), f"correction: words must be {words} numbers")
    _expect(
        _numbers(data["sections"], len(sections)),
        f"correction: sections must be {len(sections)} numbers",
    )
    _expect(_number(data["intercept"]), "correction: intercept must be a number")
    _expect(_number(data["c"]) and data["c"] > 0, "correction: c must be > 0")
    _expect(isinstance(data["chosen_by"], str), "correction: chosen_by must be a string")
    return Correction(
        intercept=float(data["intercept"]),
        words=tuple(float(v) for v in data["words"]),
        signals=tuple(float(v) for v in signals.values()),
        sections=tuple(float(v) for v in data["sections"]),
        c=float(data["c"]),
        chosen_by=data["chosen_by"],
    )


def summary(model: SelectionModel) -> Mapping[str, Any]:
    """What the store keeps beside the model, to list versions without reading them."""
    fix = model.correction
    return {
        "sections": list(model.sections),
        "counts": model.counts,
        "correction": None if fix is None else {"c": fix.c, "chosen_by": fix.chosen_by},
    }


def _expect(ok: object, problem: str) -> None:
    if not ok:
        raise ModelFileError(f"not a model: {problem}")


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) and v for v in values)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _numbers(values: Any, n: int) -> bool:
    """A list of `n` finite numbers (not booleans): checked on arrays, as a model holds
    hundreds of thousands."""
    import numpy as np

    if not isinstance(values, list) or len(values) != n:
        return False
    if not set(map(type, values)) <= {int, float}:
        return False
    return bool(np.isfinite(np.asarray(values, dtype=float)).all())
