"""Turn an arXiv abstract into the newsletter's short paragraphs and bullet lists.

The summary *is* the abstract: words are never added, reworded or dropped. The only
things lifted out are enumeration markers ("(1)", "2)", "(b)", "iii)") of items that
become bullets, and the separators between items (a trailing "," or ";", and an "and"
or "or" at the edge of an item), which a bullet list expresses by itself.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from newsletter.domain.issue import Paragraph

__all__ = ["MAX_SENTENCES", "MAX_WORDS", "Paragraph", "split_sentences", "summarize"]

# A paragraph stops growing at this size; a single longer sentence still stands alone.
# "About 60 words": the reference issue's longest joined paragraph has 69.
MAX_SENTENCES = 3
MAX_WORDS = 70
# A lead-in this short ("Our work includes:") reads as the end of the paragraph before.
_SHORT_LEAD_WORDS = 8


# --- sentences ---------------------------------------------------------------------

# Requiring whitespace after the stop keeps decimals, versions, URLs and model names
# ("95.5%", "v1.2", "x.github.io", "Llama 3.1") in one piece without special cases.
_STOP = re.compile(r"([.?!]+)([\"'”’)\]]*)\s+")
# What may begin a sentence: capitals, digits, an opening quote or bracket, a
# lowercase enumerator ("ii) We ...") or a lowercase name with a capital or digit
# inside ("iPhone", "o1"). Lowercase prose after a period means an abbreviation.
_STARTER = re.compile(r"https?://|[\"'“‘(\[A-Z0-9]|(?:[ivx]{1,4}|[a-h])\)\s|[a-z][\w-]*[A-Z0-9]")
# Abbreviations that do not end a sentence even before a capital ("e.g. GPT-4o").
# "etc." is absent on purpose: before a capital it usually does end the sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e al vs v.s cf fig figs eq eqs approx sec secs tab no nos resp w.r.t "
    "dr mr mrs ms prof st jr inc ltd corp ref refs ch vol pp ca viz incl est".split()
)
_INITIALS = re.compile(r"[A-Z](?:\.[A-Z])*")


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _is_stop(text: str, match: re.Match[str]) -> bool:
    punct = match.group(1)
    if not _STARTER.match(text, match.end()):
        return False
    if "?" in punct or "!" in punct:
        return True
    if punct != ".":  # an ellipsis never ends a sentence here
        return False
    before = text[: match.start()].rsplit(" ", 1)[-1].lstrip("(\"'“[")
    return before.lower() not in _ABBREVIATIONS and not _INITIALS.fullmatch(before)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the sentences of whitespace-normalised text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _STOP.finditer(text):
        if _is_stop(text, match):
            end = match.end(2)
            spans.append((start, end))
            start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def split_sentences(text: str) -> list[str]:
    """Split text into sentences, collapsing every run of whitespace to one space."""
    norm = _normalise(text)
    return [norm[start:end] for start, end in _sentence_spans(norm)]


# --- enumerations with markers: "(1) ... (2) ...", "a) ... b) ...", "(i) ... (ii) ..." --

_MARKER = re.compile(r"(?<!\S)(\(?)(\d{1,2}|[a-z]|[ivx]{2,4})\)(?=\s)")
_ROMAN = {numeral: n for n, numeral in enumerate("i ii iii iv v vi vii viii ix x".split(), 1)}
_ITEM_TAIL = re.compile(r"(?:\s*[,;])?(?:\s+(?:and|or))?\s*$")
_ITEM_HEAD = re.compile(r"^(?:and|or)\s+")


@dataclass(frozen=True, slots=True)
class _Marker:
    start: int
    end: int
    paren: bool
    sentence: int
    values: tuple[tuple[str, int], ...]  # (kind, ordinal): "i" is both a letter and a numeral


@dataclass(frozen=True, slots=True)
class _Run:
    first: int  # index of the sentence holding the first marker
    last: int  # index of the sentence holding the last marker
    markers: tuple[_Marker, ...]


def _ordinals(token: str) -> tuple[tuple[str, int], ...]:
    if token.isdigit():
        return (("num", int(token)),)
    found: list[tuple[str, int]] = []
    if len(token) == 1:
        found.append(("alpha", ord(token) - ord("a") + 1))
    if token in _ROMAN:
        found.append(("roman", _ROMAN[token]))
    return tuple(found)


def _markers(text: str, spans: list[tuple[int, int]]) -> list[_Marker]:
    starts = [start for start, _ in spans]
    found: list[_Marker] = []
    for match in _MARKER.finditer(text):
        index = bisect_right(starts, match.start()) - 1
        before = _MARKER.sub("", text[starts[index] : match.start()])
        # "(see Table 1)" closes a bracket; a real enumerator sits at bracket depth 0.
        if before.count("(") != before.count(")"):
            continue
        values = _ordinals(match.group(2))
        if values:
            found.append(_Marker(match.start(), match.end(), bool(match.group(1)), index, values))
    return found


def _chain(markers: list[_Marker], kind: str, starts: list[int]) -> list[_Marker]:
    """Follow markers[0] through its successors ("(1)" to "(2)" ...) as far as they go."""
    chain = markers[:1]
    for cand in markers[1:]:
        prev = chain[-1]
        ordinal = dict(cand.values).get(kind)
        if cand.paren != prev.paren or ordinal is None:
            continue
        if ordinal != len(chain) + 1:
            break  # a restart ("1) ... 2) ... 1)") or a gap begins something else
        # Items may span sentences only when each new item opens a sentence, so that
        # "In (1) x, ... . In (2) y" prose is left alone.
        if cand.sentence != prev.sentence and cand.start != starts[cand.sentence]:
            break
        chain.append(cand)
    return chain


def _runs(text: str, spans: list[tuple[int, int]]) -> list[_Run]:
    markers = _markers(text, spans)
    starts = [start for start, _ in spans]
    runs: list[_Run] = []
    taken = -1  # last sentence already inside a run
    for i, head in enumerate(markers):
        if head.sentence <= taken:
            continue
        for kind, ordinal in head.values:
            chain = _chain(markers[i:], kind, starts) if ordinal == 1 else []
            if len(chain) >= 2:
                runs.append(_Run(head.sentence, chain[-1].sentence, tuple(chain)))
                taken = chain[-1].sentence
                break
    return runs


def _clean_item(item: str, *, unmarked: bool = False) -> str:
    item = _ITEM_TAIL.sub("", item.strip())
    return _ITEM_HEAD.sub("", item) if unmarked else item


def _run_items(text: str, run: _Run, spans: list[tuple[int, int]]) -> tuple[str, list[str]]:
    marks = run.markers
    lead = text[spans[run.first][0] : marks[0].start].strip()
    bounds = [m.start for m in marks[1:]] + [spans[run.last][1]]
    items = [_clean_item(text[m.end : end]) for m, end in zip(marks, bounds, strict=True)]
    return lead, items


# --- enumerations without markers: "...: A; B; and C", "consisting of A, B, and C" -------

_INTRO = re.compile(r"(?<=[a-z\d)]):\s|\b(?:consist(?:s|ing)? of|compris(?:es|ing)|composed of)\s")
# Comma lists must look like lists of phrases, not prose such as "speed, accuracy and
# cost": at least three items, none shorter than this, and a longer average.
_MIN_ITEMS = 3
_MIN_ITEM_WORDS = 3
_MIN_MEAN_WORDS = 5
_DETERMINERS = frozenset("a an the our its their this these each".split())


def _split_top(text: str, sep: str) -> list[str]:
    """Split at `sep` outside brackets."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == sep and depth == 0:
            parts.append(text[start : i + 1])
            start = i + 1
    parts.append(text[start:])
    return [part for part in parts if part.strip()]


def _parallel(items: list[str]) -> bool:
    """True when the items open alike, as list items do ("a X, a Y, and the Z").

    Prose that merely contains commas ("CoDe achieves X, slashes Y, and preserves Z";
    "components, including A, B") fails this, which is the point.
    """
    firsts = [item.split()[0] for item in items]
    return (
        all(word.lower() in _DETERMINERS for word in firsts)
        or all(word.endswith("ing") and word.islower() for word in firsts)
        or len({word.lower() for word in firsts}) == 1
    )


def _comma_items(tail: str) -> list[str] | None:
    parts = _split_top(tail, ",")
    if len(parts) < 2:
        return None
    last = parts[-1].strip()
    if not last.startswith(("and ", "or ")):
        pieces = re.split(r"\s(?=(?:and|or)\s)", last)
        if len(pieces) != 2:
            return None  # "A, B and C and D": cannot tell where the last item starts
        parts[-1:] = pieces
    items = [_clean_item(part, unmarked=True) for part in parts]
    sizes = [len(item.split()) for item in items]
    if len(items) < _MIN_ITEMS or min(sizes) < _MIN_ITEM_WORDS or not _parallel(items):
        return None
    return items if sum(sizes) / len(sizes) >= _MIN_MEAN_WORDS else None


def _unmarked_list(sentence: str) -> tuple[str, list[str]] | None:
    label = _LABEL.match(sentence)
    intro = _INTRO.search(sentence, label.end() if label else 0)
    if intro is None:
        return None
    lead, tail = sentence[: intro.end()].strip(), sentence[intro.end() :]
    if ":" in tail:
        return None  # a second colon: nested structure we would only mangle
    parts = _split_top(tail, ";")
    if len(parts) >= 2:
        return lead, [_clean_item(part, unmarked=True) for part in parts]
    items = _comma_items(tail)
    return (lead, items) if items else None


# --- paragraphs ----------------------------------------------------------------------

# A short Capitalised label opening a sentence: "Data Synthesis: ...", "Code: ...".
_LABEL = re.compile(r"([A-Z][\w'’&/+-]*(?: [\w'’&/+-]+){0,3}): ")
_NOT_LABEL = frozenset(
    "The A An This These That Those We Our It Its In On For To With By As".split()
)

# Sentences that lean on the one before: discourse connectives, and back-references.
# "Finally", "Notably", "Here" and purpose clauses ("To this end, ...") are left out
# on purpose: they open a new point, and the reference issue starts a paragraph there.
_CONTINUES = re.compile(
    r"(?:However|Then|Specifically|Moreover|Furthermore|Additionally|In addition"
    r"|Also|Thus|Therefore|Hence|Consequently|Accordingly|As a result|In particular"
    r"|Namely|For (?:example|instance)|E\.g\.|I\.e\.|That is|In contrast|By contrast"
    r"|Conversely|Instead|Meanwhile|Besides|Nevertheless|Nonetheless|Yet|But|Still"
    r"|Similarly|Likewise|Subsequently|Afterwards|Otherwise|In (?:this|doing so|that) way"
    r"|By doing so|In doing so|On the other hand|In the (?:second|third|fourth|latter|next)"
    r"|(?:This|These|Those|It|Its|They|Their|Such|Both)"
    r"(?! (?:paper|work|study|article|survey|report|research|technical|thesis|letter"
    r"|position|tutorial|chapter|project|manuscript)\b))\b"
    r"|(?:Second|Third|Next|Further)(?:ly)?,"
)


def _words(text: str) -> int:
    return len(text.split())


def _is_label(sentence: str) -> bool:
    match = _LABEL.match(sentence)
    return match is not None and match.group(1).split()[0] not in _NOT_LABEL


class _Builder:
    """Collects sentences into paragraphs, keeping each within the size limits."""

    def __init__(self) -> None:
        self.paragraphs: list[Paragraph] = []
        self.pending: list[str] = []

    def fits(self, sentence: str) -> bool:
        words = sum(_words(s) for s in self.pending) + _words(sentence)
        return len(self.pending) < MAX_SENTENCES and words <= MAX_WORDS

    def flush(self) -> None:
        if self.pending:
            self.paragraphs.append(Paragraph(" ".join(self.pending)))
            self.pending = []

    def add(self, sentence: str, *, join: bool = False) -> None:
        join = join or (_CONTINUES.match(sentence) is not None and not _is_label(sentence))
        if not (self.pending and join and self.fits(sentence)):
            self.flush()
        self.pending.append(sentence)

    def add_list(self, lead: str, items: list[str]) -> None:
        # A list with no lead of its own is introduced by the paragraph before it.
        leans = _CONTINUES.match(lead) is not None or _words(lead) <= _SHORT_LEAD_WORDS
        if lead and not (self.pending and leans and self.fits(lead)):
            self.flush()
        text = " ".join([*self.pending, lead]).strip()
        self.pending = []
        self.paragraphs.append(Paragraph(text, tuple(items)))

    def add_sections(self, lead: str, items: list[str]) -> None:
        """Labelled multi-sentence items read better as paragraphs than as bullets."""
        if lead:
            self.add(lead)
        for item in items:
            self.flush()
            for sentence in split_sentences(item):
                self.add(sentence, join=True)
        self.flush()


def _is_section_list(items: list[str]) -> bool:
    labelled = all(_is_label(item) for item in items)
    return labelled and any(len(split_sentences(item)) > 1 for item in items)


def summarize(abstract: str | None, *, title: str = "") -> list[Paragraph]:
    """Lay an abstract out as short paragraphs and bullet lists, keeping every word.

    Each sentence opens a paragraph unless it leans on the one before (a connective
    such as "However," or a back-reference such as "These ..."), and a paragraph stops
    at MAX_SENTENCES sentences or MAX_WORDS words. Enumerations ("(1) ... (2) ...",
    "a colon: then; items") become bullets under their lead-in; "Label: text"
    sentences open paragraphs of their own.

    Returns ``[]`` when there is no abstract (None, empty or only whitespace): the
    renderer then says that no abstract was available. The title is accepted for
    context but never copied into the summary, since the renderer prints it anyway.
    """
    del title  # the heading is the renderer's job; never repeat it in the body
    text = _normalise(abstract or "")
    if not text:
        return []
    spans = _sentence_spans(text)
    runs = {run.first: run for run in _runs(text, spans)}
    builder = _Builder()
    index = 0
    while index < len(spans):
        run = runs.get(index)
        if run is not None:
            lead, items = _run_items(text, run, spans)
            if _is_section_list(items):
                builder.add_sections(lead, items)
            else:
                builder.add_list(lead, items)
            index = run.last + 1
            continue
        sentence = text[spans[index][0] : spans[index][1]]
        found = _unmarked_list(sentence)
        if found is None:
            builder.add(sentence)
        else:
            builder.add_list(*found)
        index += 1
    builder.flush()
    return builder.paragraphs
