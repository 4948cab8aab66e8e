"""Reading back an issue as the editor published it: the reference issue, and our own
text, Markdown and HTML."""

from __future__ import annotations

from newsletter.selection.published import read_published, title_key
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
