"""A subject test's sample: random but stable for the issue, exactly even between the
subjects, keyed; and its subject lines, filled and checked."""

from __future__ import annotations

from collections import Counter

import pytest

from newsletter.domain.subject_test import (
    choose_sample,
    placeholders_of,
    render_subjects,
    sample_key,
    sample_size,
)

KEY = sample_key("a-secret")
IDS = list(range(1, 1001))


def test_the_sample_is_even_stable_and_keyed() -> None:
    sample = choose_sample(7, IDS, per_variant=100, variants=2, key=KEY)
    assert Counter(sample.values()) == {0: 100, 1: 100}
    assert sample == choose_sample(7, list(reversed(IDS)), per_variant=100, variants=2, key=KEY)
    other_issue = choose_sample(8, IDS, per_variant=100, variants=2, key=KEY)
    other_key = choose_sample(7, IDS, per_variant=100, variants=2, key=sample_key("another"))
    for other in (other_issue, other_key):  # a different draw: about a fifth in common
        assert len(set(sample) & set(other)) < 80
    spread = sorted(sample)  # drawn from the whole list, not its first ids
    assert spread[0] < 50 and spread[-1] > 950
    three = choose_sample(7, IDS, per_variant=33, variants=3, key=KEY)
    assert Counter(three.values()) == {0: 33, 1: 33, 2: 33}


@pytest.mark.parametrize(
    ("audience", "share", "variants", "per_variant"),
    [(1000, 0.2, 2, 100), (1003, 0.2, 2, 100), (10, 0.3, 2, 1), (999, 0.2, 2, 99), (3, 0.2, 2, 0)],
)
def test_the_sample_size_rounds_down_to_an_even_split(
    audience: int, share: float, variants: int, per_variant: int
) -> None:
    assert sample_size(audience, share, variants) == per_variant


def test_subjects_fill_title_and_week_and_fold_whitespace() -> None:
    found = render_subjects(
        ["{title}", "  This week:\t{week}  ", "{{not a placeholder}} {title}"],
        title="Important LLMs Papers",
        week="Fourth Week of November 2024",
    )
    assert found == (
        "Important LLMs Papers",
        "This week: Fourth Week of November 2024",
        "{not a placeholder} Important LLMs Papers",
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{count} papers", r"unknown placeholder \{count\} \(known: \{title\}, \{week\}\)"),
        ("{title:>40}", r"unknown placeholder \{title\}"),
        ("{title!r}", r"unknown placeholder \{title\}"),
        ("a { brace", r"write \{\{ and \}\} for a brace"),
    ],
)
def test_only_title_and_week_may_be_filled_in(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        placeholders_of(template)
    assert placeholders_of("{week}: {title}") == ["week", "title"]
