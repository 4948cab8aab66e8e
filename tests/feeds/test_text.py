"""clean_text and clean_authors: plain text from HTML, entities and TeX."""

from __future__ import annotations

import random
import time

import pytest

from newsletter.feeds.text import clean_authors, clean_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Hello <b>bold</b> <i>world</i></p>", "Hello bold world"),
        ("one<br/>two<p>three</p>four", "one two three four"),
        ("H<sub>2</sub>O", "H2O"),
        ('<a href="x" title="a>b">link</a> text', "link text"),
        ("<!-- hidden -->shown", "shown"),
    ],
)
def test_html_tags_are_stripped(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_script_and_style_bodies_are_dropped() -> None:
    raw = "Safe <script type='text/javascript'>alert('x')</script>title <style>p{}</style>end"
    assert clean_text(raw) == "Safe title end"


def test_an_unclosed_script_drops_the_rest() -> None:
    assert clean_text("Title <script>alert(1)") == "Title"


def test_escaped_markup_is_stripped_after_unescaping() -> None:
    assert clean_text("&lt;script&gt;alert(1)&lt;/script&gt;Real &lt;b&gt;title&lt;/b&gt;") == (
        "Real title"
    )


def test_entities_are_unescaped() -> None:
    assert clean_text("Caf&eacute; &amp; bar &#8212; &#x3b1;") == "Café & bar — α"


def test_comparison_signs_are_not_tags() -> None:
    assert clean_text("a < b and c > d, <text, audio> pairs, x &lt; y") == (
        "a < b and c > d, <text, audio> pairs, x < y"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"\emph{x} and \textbf{y}", "x and y"),
        (r"see \url{https://example.org/~me}", "see https://example.org/~me"),
        (r"{\"o} and \"u and \'e and \c{c} and \u{g}", "ö and ü and é and ç and ğ"),
        (r"Jim\'enez Guti\'errez", "Jiménez Gutiérrez"),
        (r"70.2\% better", "70.2% better"),
        (r"Fig.~1 and Section~3", "Fig. 1 and Section 3"),
        ("RMF ~ 0.31 and ~10x", "RMF ~ 0.31 and ~10x"),
        ("$O(n^2)$", "O(n^2)"),
        (r"$\alpha$-stable", "α-stable"),
        (r"$|\Delta\hat{y}| \le 3.4\times10^{-6}$", "|Δy| ≤ 3.4×10^-6"),
        (r"$\mathbb{R}^n$ and $\mathcal{O}(1)$", "ℝ^n and O(1)"),
        (r"$M \in F_2^{n \times n}$", "M ∈ F_2^(n × n)"),
        (r"($<$2% spread)", "(<2% spread)"),
        ("$ k $-ary", "k-ary"),
        (r"68.84\,GB", "68.84 GB"),
        (r"\href{http://a.org}{the code} and \cite{smith}", "the code and"),
        (r"\frac{1}{2}", "1/2"),
        (r"\$5 fee and \{0,1\}", "$5 fee and {0,1}"),
        ("``quoted'' and `single'", "\u201cquoted\u201d and \u2018single\u2019"),
        (r"\LaTeX{} and \log n", "LaTeX and log n"),
        (r"$\newcommand{\F}{\mathbb{F}} $We map $\F_2$", "We map F_2"),
    ],
)
def test_tex_markup_becomes_readable_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize("money", ["costs $5 and $10", "$5-$10 range", "lone $ sign"])
def test_dollars_that_are_not_math_stay(money: str) -> None:
    assert clean_text(money) == money


def test_dashes_are_kept() -> None:
    assert clean_text("a -- b --- c") == "a -- b --- c"


def test_whitespace_collapses_to_single_spaces() -> None:
    assert clean_text("  many\n\tlines \u00a0 here\r\n") == "many lines here"


@pytest.mark.parametrize("empty", [None, "", "   ", "<p></p>"])
def test_nothing_becomes_empty(empty: str | None) -> None:
    assert clean_text(empty) == ""


@pytest.mark.parametrize(
    "odd",
    [
        "{",
        "}",
        "$",
        "$$",
        "\\",
        "\\\\",
        r"\emph{",
        r"{\"",
        r"unbalanced {brace",
        "<",
        "<a",
        "&",
        "&#xffffffff;",
        "\\u",
        "~",
        "`",
        "$x",
        r"\frac{1}",
        "<script",
        "<!--",
        "\x00",
    ],
)
def test_odd_input_never_crashes(odd: str) -> None:
    assert isinstance(clean_text(odd), str)


def test_random_junk_never_crashes() -> None:
    rng = random.Random(7)
    alphabet = "ab $\\{}<>&;~`'\"/!-^_#%\n" + "éα"
    for _ in range(2000):
        junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert "\n" not in clean_text(junk)


def test_is_fast_enough_for_ingest() -> None:
    abstract = r"We study \emph{transformers} with $O(n^2)$ cost &amp; $\alpha$~scaling. " * 12
    best = float("inf")
    for _ in range(5):  # the best of a few rounds, so a busy machine does not fail it
        start = time.perf_counter()
        for _ in range(200):
            clean_text(abstract)
        best = min(best, (time.perf_counter() - start) / 200)
    # ~0.1 ms here for this TeX-heavy abstract; the whole ingest budget is ~1 ms per entry.
    assert best < 0.001


def test_authors_from_a_comma_separated_field() -> None:
    assert clean_authors("Ruoxi Zhao, Maziar Raissi and Ann Lee") == (
        "Ruoxi Zhao",
        "Maziar Raissi",
        "Ann Lee",
    )


def test_authors_from_html_links_with_tex_accents() -> None:
    raw = '<a href="/a">Petter T\\"ornberg</a>, <a href="/b">Bernal Jim\\\'enez</a>'
    assert clean_authors(raw) == ("Petter Törnberg", "Bernal Jiménez")


def test_authors_from_a_list_are_not_split() -> None:
    assert clean_authors(["Smith, John", " Ann  Lee "]) == ("Smith, John", "Ann Lee")


def test_author_suffixes_and_et_al() -> None:
    assert clean_authors("John Smith, Jr., Ann Lee, et al.") == ("John Smith, Jr.", "Ann Lee")


def test_no_authors() -> None:
    assert clean_authors(None) == ()
    assert clean_authors("") == ()
    assert clean_authors([]) == ()


def test_a_tag_whose_name_ends_at_a_slash_is_removed() -> None:
    """Browsers read <svg/onload=…> as a tag with an attribute: it goes, raw or escaped."""
    assert clean_text("a <svg/onload=alert(1)> b") == "a b"
    assert clean_text("a &lt;svg/onload=alert(1)&gt; b") == "a b"
    assert clean_text("a <img/src=x/onerror=alert(1)> b") == "a b"


def test_feed_text_cannot_carry_a_placeholder_or_control_characters() -> None:
    assert clean_text("win %%unsubscribe_url%% now") == "win %\u2060%unsubscribe_url%\u2060% now"
    assert clean_text("a\x00b\x1b[2Jc\x9bd") == "a b [2Jc d"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Safe\u202e txt.exe", "Safe txt.exe"),  # right-to-left override
        ("zero\u200bwidth\u2060joined\ufeff", "zerowidthjoined"),
        ("\u2066isolated\u2069 and \u200emarked\u200f", "isolated and marked"),
        ("&#x202E;escaped override", "escaped override"),  # an entity is no way round
        ("lone \ud800surrogate \udfff", "lone surrogate"),
        ("non\ufdd0characters\uffff\U0001fffe", "noncharacters"),
        ("tags\U000e0041\U000e0042 hide text", "tags hide text"),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 and 👩\u200d💻", None),  # joiners stay
    ],
)
def test_invisible_and_invalid_characters_are_removed(raw: str, expected: str | None) -> None:
    assert clean_text(raw) == (raw.replace("&#x202E;", "") if expected is None else expected)
