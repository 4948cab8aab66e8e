"""`[subject_test]` in newsletter.toml: its defaults, and a clear one-line error for each
thing an editor can get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_editor_config
from newsletter.config.subject_test import SubjectTestConfig
from newsletter.domain.subject_test import Metric
from newsletter.errors import ConfigError


def load(tmp_path: Path, body: str) -> SubjectTestConfig | None:
    path = tmp_path / "newsletter.toml"
    path.write_text("[subject_test]\n" + body, encoding="utf-8")
    return load_editor_config(path).subject_test


def test_the_defaults_and_no_test_without_the_section(tmp_path: Path) -> None:
    found = load(tmp_path, 'subjects = ["{title}", "This week: {week}"]\n')
    assert found is not None
    defaults = (found.sample, found.wait_hours, found.metric, found.min_per_variant)
    assert defaults == (0.2, 4.0, Metric.CLICKS, 100) and found.enabled
    (tmp_path / "plain.toml").write_text("", encoding="utf-8")
    assert load_editor_config(tmp_path / "plain.toml").subject_test is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('subjects = ["{title}"]', "subjects: List should have at least 2 items"),
        ('subjects = ["a", "b", "c", "d", "e"]', "subjects: List should have at most 4 items"),
        ('subjects = ["{title}", "{count} papers"]', r"unknown placeholder \{count\}"),
        ('subjects = ["{title}", "  "]', "a subject line is empty"),
        ('subjects = ["{title}", "one\\ntwo"]', "line breaks and control characters"),
        ('subjects = ["Papers  of the week", "papers of the week"]', "is listed twice"),
        (f'subjects = ["{{title}}", "{"x" * 201}"]', "longer than 200 characters"),
        ('subjects = ["a", "b"]\nsample = 1.0', "sample: Input should be less than 1"),
        ('subjects = ["a", "b"]\nsample = 0', "sample: Input should be greater than 0"),
        ('subjects = ["a", "b"]\nwait_hours = 0', "wait_hours: Input should be greater than 0"),
        (
            'subjects = ["a", "b"]\nmetric = "revenue"',
            "metric: Input should be 'opens' or 'clicks'",
        ),
        ('subjects = ["a", "b"]\nmin_per_variant = 0', "min_per_variant: Input should be greater"),
        ('subjects = ["a", "b"]\nsamples = 0.3', "samples: Extra inputs are not permitted"),
    ],
)
def test_a_mistake_is_one_clear_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"newsletter.toml: subject_test.*{message}"):
        load(tmp_path, body + "\n")
