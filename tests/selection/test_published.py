"""Reading back an issue as the editor published it: the reference issue, and our own
text, Markdown and HTML."""

from __future__ import annotations

from newsletter.selection.published import PublishedPick, read_published, title_key
from tests.support.paths import FIXTURES, GOLDEN

REFERENCE = FIXTURES / "issue_2024-11-25.txt"  # the editor's real issue, as published


def test_the_golden_issue_reads_back_the_same_in_every_format() -> None:
    read = {
        ext: read_published((GOLDEN / f"issue.{ext}").read_text(encoding="utf-8"))
        for ext in ("html", "md", "txt")
    }
    numbers = [p.number for p in read["html"]]
    assert len(numbers) == 12 and numbers[0] == "1.1"
    for picks in read.values():
        assert [p.number for p in picks] == numbers
        assert all(p.arxiv_id and p.section for p in picks)
    assert [p.section for p in read["md"]] == [p.section for p in read["html"]]


def test_the_reference_issue_gives_six_papers_in_five_sections() -> None:
    picks = read_published(REFERENCE.read_text(encoding="utf-8"))
    assert [(p.number, p.section) for p in picks] == [
        ("1.1", "LLM Progress & Benchmarking"),
        ("1.2", "LLM Progress & Benchmarking"),
        ("2.1", "Transformers"),
        ("3.1", "LLM Training"),
        ("4.1", "LLM Quantization"),
        ("5.1", "LLM Reasoning"),
    ]


def test_titles_compare_by_letters_and_digits() -> None:
    assert title_key("O1 Replication Journey — Part 2") == title_key(
        "O1 Replication Journey -- Part 2"
    )


def test_markdown_links_are_read_in_linear_time() -> None:
    """Lines built to make a backtracking link pattern quadratic (40,000 "[" took 4.7 s) read
    as text, and a link beside them still reads as its text (timings: bench/published.py)."""
    floods = ["[" * 40_000, "[](" * 20_000, "[a](" * 15_000, "](" * 30_000]
    for flood in floods:
        assert read_published(f"1. LLM Agents\n1.1. {flood}\n") == [
            PublishedPick("1.1", flood.strip("*[]").strip(), "LLM Agents", None)
        ]
    linked = read_published("1. LLM Agents\n1.1. [A [b] title](https://arxiv.org/abs/2411.00001)\n")
    assert linked[0].arxiv_id == "2411.00001"
    plain = read_published("1. LLM Agents\n1.1. [A title](https://example.org/x) [x](y)\n")
    assert plain[0].title == "A title x"
