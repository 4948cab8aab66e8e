"""`[subject_test]` in newsletter.toml: the subject lines an issue tries on a sample of the
list before the rest gets the one that did best (docs/subject-tests.md)."""

from __future__ import annotations

import unicodedata

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsletter.domain.subject_test import Metric, placeholders_of

MAX_SUBJECT = 200  # characters of a template; mail clients show about 60


class SubjectTestConfig(BaseModel):
    """2 to 4 subject lines, a sample of the list split evenly between them, and how the
    winner is chosen; below `min_per_variant` readers a subject no test is run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subjects: list[str] = Field(min_length=2, max_length=4)
    sample: float = Field(default=0.2, gt=0, lt=1)  # share of the audience in the test
    wait_hours: float = Field(default=4.0, gt=0, le=72)  # from the sample's send to the rest's
    metric: Metric = Metric.CLICKS  # opens are unreliable since Apple's privacy proxy
    min_per_variant: int = Field(default=100, ge=1)
    enabled: bool = True  # false: the weekly run sends everyone the title

    @field_validator("subjects")
    @classmethod
    def _subjects(cls, subjects: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for subject in subjects:
            if not subject.strip():
                raise ValueError("a subject line is empty")
            if any(unicodedata.category(c).startswith("C") for c in subject):
                raise ValueError(f"{subject!r}: line breaks and control characters are not allowed")
            if len(subject) > MAX_SUBJECT:
                raise ValueError(f"{subject[:40]!r}…: longer than {MAX_SUBJECT} characters")
            placeholders_of(subject)
            key = " ".join(subject.split()).casefold()
            if key in seen:
                raise ValueError(f"{subject!r} is listed twice (as {seen[key]!r})")
            seen[key] = subject
        return subjects
