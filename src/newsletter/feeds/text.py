"""Plain text from whatever a feed gives: HTML fragments, entities and arXiv's TeX.

Nothing from a feed is trusted as HTML: every tag goes, and script and style
bodies go with it. Renderers escape the result again, so a stray `<` is harmless.
All of this is regular expressions on purpose: it runs on every title, abstract
and author of every entry, and a TeX parser (pylatexenc) is several times slower
and still needs guarding against unbalanced input.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

from newsletter.characters import visible
from newsletter.domain.placeholders import neutralise

__all__ = ["clean_authors", "clean_text"]

# C0 and C1 control characters (NUL, terminal escapes); tabs and newlines become spaces too.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# -- HTML ---------------------------------------------------------------------

_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
# A tag must start with a name (or !, ?) right after `<`, so "a < b" and
# "$x<y$" survive; quoted attribute values may contain `>`.
# Browsers also end a tag name at "/" ("<svg/onload=…>"), so attributes may follow one.
_TAG = re.compile(
    r"</?([A-Za-z][A-Za-z0-9:-]*)(?:[\s/]+(?:\"[^\"]*\"|'[^']*'|[^<>\"'])*)?/?>"
    r"|<![^<>]*>|<\?[^<>]*\?>"
)
# Tags that separate words; the rest (b, i, sub, a, span ...) join their text.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)


def _tag_replacement(match: re.Match[str]) -> str:
    name = match.group(1)
    return " " if name is not None and name.lower() in _BLOCK_TAGS else ""


def _strip_tags(s: str) -> str:
    s = _SCRIPT.sub(" ", s)
    s = _COMMENT.sub(" ", s)
    return _TAG.sub(_tag_replacement, s)


# -- TeX ----------------------------------------------------------------------

_GREEK = (
    "alpha α beta β gamma γ delta δ epsilon ε varepsilon ε zeta ζ eta η theta θ vartheta ϑ "
    "iota ι kappa κ lambda λ mu μ nu ν xi ξ pi π varpi ϖ rho ρ varrho ϱ sigma σ varsigma ς "
    "tau τ upsilon υ phi φ varphi φ chi χ psi ψ omega ω Gamma Γ Delta Δ Theta Θ Lambda Λ "
    "Xi Ξ Pi Π Sigma Σ Upsilon Υ Phi Φ Psi Ψ Omega Ω"
)
_OPERATORS = (
    "times × cdot · pm ± mp ∓ div ÷ le ≤ leq ≤ ge ≥ geq ≥ neq ≠ ne ≠ approx ≈ sim ∼ simeq ≃ "
    "equiv ≡ propto ∝ ll ≪ gg ≫ infty ∞ partial ∂ nabla ∇ sum ∑ prod ∏ int ∫ sqrt √ "
    "in ∈ notin ∉ subset ⊂ subseteq ⊆ supset ⊃ cup ∪ cap ∩ emptyset ∅ forall ∀ exists ∃ "
    "neg ¬ wedge ∧ vee ∨ to → rightarrow → leftarrow ← Rightarrow ⇒ Leftarrow ⇐ "
    "leftrightarrow ↔ Leftrightarrow ⇔ mapsto ↦ uparrow ↑ downarrow ↓ ell ℓ hbar ħ "
    "ldots … dots … cdots ⋯ circ ∘ star ⋆ ast ∗ dagger † degree ° prime ′ mid | "
    "langle ⟨ rangle ⟩ lceil ⌈ rceil ⌉ lfloor ⌊ rfloor ⌋ checkmark ✓ "
    "ss ß o ø O Ø ae æ AE Æ oe œ OE Œ aa å AA Å l ł L Ł "
    "textasciitilde ~ textbackslash \\ textasciicircum ^ textbar | textless < textgreater > "
    "textendash – textemdash — textquoteright ’ textquoteleft ‘ copyright © texttrademark ™ "
    "euro € pounds £ textregistered ® dag † ddag ‡"
)
_PAIRS = (_GREEK + " " + _OPERATORS).split()
_SYMBOLS: dict[str, str] = dict(zip(_PAIRS[::2], _PAIRS[1::2], strict=True)) | {
    "quad": " ",
    "qquad": " ",
}
# Commands that only format their argument (kept) or mean nothing in plain text.
_FORMATTING = frozenset(
    {
        "emph",
        "textbf",
        "textit",
        "texttt",
        "textsc",
        "textsf",
        "textrm",
        "textup",
        "textsl",
        "textnormal",
        "underline",
        "url",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathfrak",
        "mathscr",
        "mathbb",
        "boldsymbol",
        "bm",
        "text",
        "mbox",
        "hbox",
        "fbox",
        "operatorname",
        "it",
        "bf",
        "em",
        "rm",
        "tt",
        "sc",
        "sf",
        "sl",
        "small",
        "large",
        "Large",
        "footnotesize",
        "tiny",
        "huge",
        "normalsize",
        "left",
        "right",
        "big",
        "Big",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "hat",
        "bar",
        "tilde",
        "vec",
        "dot",
        "ddot",
        "widehat",
        "widetilde",
        "overline",
        "noindent",
        "limits",
        "nolimits",
        "newline",
        "linebreak",
        "mathop",
        "mathrel",
        "mathbin",
        "color",
        "textcolor",
        "protect",
    }
)
_DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ", "F": "𝔽"}
_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
# Private-use stand-ins keep escaped $ { } out of the way of math and brace handling.
_DOLLAR, _LBRACE, _RBRACE = "\ue000", "\ue001", "\ue002"
_ESCAPES = {
    "\\\\": " ",
    "\\$": _DOLLAR,
    "\\{": _LBRACE,
    "\\}": _RBRACE,
    "\\%": "%",
    "\\&": "&",
    "\\#": "#",
    "\\_": "_",
}

_ESCAPE = re.compile(r"\\\\|\\[${}%&#_]")
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)
# Like pandoc, a closing dollar needs no space before it, and math starting with a
# digit no digit after it, so "costs $5 and $10" and "$5-$10" stay money, while
# "$<$2%" and "$ k $" are math.
_INLINE_MATH = re.compile(r"\$(?:(\d(?:[^$]*[^\s$])?)\$(?!\d)|\s*([^\s$\d](?:[^$]*[^\s$])?)\s*\$)")
_NEWCOMMAND = re.compile(
    r"\\(?:re)?newcommand\s*\{[^{}]*\}\s*(?:\[\d\])?\s*\{(?:[^{}]|\{[^{}]*\})*\}"
)
_DROPPED = re.compile(
    r"\\(?:cite[pt]?|ref|eqref|label|vspace|hspace)\*?\s*(?:\[[^\]]*\])?\s*\{[^{}]*\}"
)
_HREF = re.compile(r"\\href\s*\{[^{}]*\}\s*\{([^{}]*)\}")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_MATHBB = re.compile(r"\\mathbb\s*\{\s*([A-Z])\s*\}")
_SYMBOL_ACCENT = re.compile(r"\\([\"'`^~=.])\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))")
_LETTER_ACCENT = re.compile(r"\\([uvHckrdb])(?:\s*\{\s*(\\?[A-Za-z])\s*\}|\s+([A-Za-z]))")
_WORD_BEFORE_GROUP = re.compile(r"\\([A-Za-z]+)\*?(?=\s*\{(?!\}))")  # \LaTeX{} takes no argument
_WORD = re.compile(r"\\([A-Za-z]+)\*?")
_CONTROL_SYMBOL = re.compile(r"\\(.)", re.DOTALL)
_GROUP = re.compile(r"\{([^{}]*)\}")
_SCRIPT_GROUP = re.compile(r"([_^])\{([^{}]*)\}")
_EMPTY_MATH = re.compile(r"\$\s+\$")
_TIE = re.compile(r"(?<=[^\s/])~")  # "Fig.~1" is a tie; " ~10%" and "/~user" are not
_QUOTES = re.compile(r"``(.+?)''", re.DOTALL)
_SINGLE_QUOTES = re.compile(r"`([^`'\n]{1,200})'")
_TEX_TRIGGER = re.compile(r"[\\${}~`]")


def _accent(match: re.Match[str]) -> str:
    letter = match.group(2) or match.group(3)
    letter = letter.removeprefix("\\")
    return unicodedata.normalize("NFC", letter + _ACCENTS[match.group(1)])


def _word(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _SYMBOLS:
        return _SYMBOLS[name]
    return "" if name in _FORMATTING else name


def _script_group(match: re.Match[str]) -> str:
    # "n^{n \times n}" must not read as "n^n × n"; "10^{-6}" reads fine as "10^-6".
    body = match.group(2).strip()
    return f"{match.group(1)}({body})" if " " in body else match.group(1) + body


def _ungroup(s: str) -> str:
    # Innermost groups first; unbalanced braces are simply left in place.
    for _ in range(8):
        s, n = _GROUP.subn(r"\1", s)
        if not n:
            break
    return s


def _detex(s: str) -> str:
    s = _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], s)
    if "\\newcommand" in s or "\\renewcommand" in s:
        s = _EMPTY_MATH.sub(" ", _NEWCOMMAND.sub("", s))
    if "$" in s or "\\[" in s or "\\(" in s:
        s = _DISPLAY_MATH.sub(lambda m: m.group(1) or m.group(2) or m.group(3), s)
        s = _INLINE_MATH.sub(lambda m: m.group(1) or m.group(2), s)
    if "\\" in s:
        s = _DROPPED.sub("", s)
        s = _HREF.sub(r"\1", s)
        s = _FRAC.sub(r"\1/\2", s)
        s = _MATHBB.sub(lambda m: _DOUBLE_STRUCK.get(m.group(1), m.group(1)), s)
        s = _SYMBOL_ACCENT.sub(_accent, s)
        s = _LETTER_ACCENT.sub(_accent, s)
        s = _WORD_BEFORE_GROUP.sub(lambda m: _SYMBOLS.get(m.group(1), ""), s)
        s = _WORD.sub(_word, s)
        s = _CONTROL_SYMBOL.sub(lambda m: "" if m.group(1) in "!-/" else " ", s)
    if "{" in s:
        s = _ungroup(_SCRIPT_GROUP.sub(_script_group, s))
    if "~" in s:
        s = _TIE.sub(" ", s)
    if "`" in s:
        s = _QUOTES.sub("\u201c\\1\u201d", s)
        s = _SINGLE_QUOTES.sub("\u2018\\1\u2019", s)
    return s.replace(_DOLLAR, "$").replace(_LBRACE, "{").replace(_RBRACE, "}")


# -- public -------------------------------------------------------------------


def clean_text(s: str | None) -> str:
    r"""Plain text on one line: no tags, entities or TeX markup, whitespace collapsed.

    >>> clean_text(r"<p>The \emph{cost} is $O(n^2)$ &amp; $\alpha$~fixed</p>")
    'The cost is O(n^2) & α fixed'
    """
    if not s:
        return ""
    if "<" in s:
        s = _strip_tags(s)
    if "&" in s:
        s = html.unescape(s)
        if "<" in s:  # escaped markup, e.g. "&lt;script&gt;" in an RSS title
            s = _strip_tags(s)
    if _TEX_TRIGGER.search(s):
        s = _detex(s)
    # never a placeholder (%%name%%), nor a lone surrogate, bidi override or zero-width space
    s = neutralise(_CONTROL.sub(" ", visible(s)))
    return " ".join(s.split())


_AUTHOR_SEPARATOR = re.compile(r"\s*(?:[,;]|\band\b|&)\s*")
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_NOT_NAMES = frozenset({"", "et al", "et al.", "others"})


def clean_authors(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Author names as plain text.

    A string is one feed field listing everyone ("A, B and C", arXiv's
    dc:creator, possibly as HTML links); an iterable holds one name per item.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        parts = _AUTHOR_SEPARATOR.split(clean_text(value))
    else:
        parts = [clean_text(name) for name in value]
    names: list[str] = []
    for part in parts:
        if part.lower() in _NOT_NAMES:
            continue
        if names and part.lower() in _NAME_SUFFIXES:
            names[-1] = f"{names[-1]}, {part}"  # "Smith, Jr." is one author
        else:
            names.append(part)
    return tuple(names)
