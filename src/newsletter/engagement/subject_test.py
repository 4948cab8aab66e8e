"""An issue's subject-line test in its report: each subject's sample (sent, unique human
opens, unique clickers), the winner, whether the difference is significant and which rule
decided (domain/subject_test.py, delivery/subject_test.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from newsletter.domain.subject_test import SubjectTest, VariantCounts, label


class SubjectTestStore(Protocol):
    """What the report reads of an issue's test."""

    def subject_test(self, issue_number: int) -> SubjectTest | None: ...

    def variant_counts(self, issue_number: int, variants: int) -> tuple[VariantCounts, ...]: ...


@dataclass(frozen=True, slots=True)
class VariantReport:
    subject: str
    sent: int
    unique_opens: int
    unique_clicks: int

    def rate(self, metric: str) -> float:
        hits = self.unique_opens if metric == "opens" else self.unique_clicks
        return hits / self.sent if self.sent else 0.0


@dataclass(frozen=True, slots=True)
class SubjectTestReport:
    metric: str  # opens | clicks
    sample: int  # readers in the sample (0: too few, no test was run)
    variants: tuple[VariantReport, ...]
    winner: str | None  # the subject the rest got; None while undecided
    significant: bool | None  # None: undecided, or no test run
    rule: str | None  # which rule decided
    summary: str  # the decision in one line, or where the test stands
    method: str = ""
    p_value: float | None = None
    probability_best: tuple[float, ...] = ()
    ready_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None

    @property
    def winner_label(self) -> str | None:
        subjects = [v.subject for v in self.variants]
        return label(subjects.index(self.winner)) if self.winner in subjects else None

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "sample": self.sample,
            "variants": [
                {
                    "subject": v.subject,
                    "sent": v.sent,
                    "unique_opens": v.unique_opens,
                    "unique_clicks": v.unique_clicks,
                }
                for v in self.variants
            ],
            "winner": self.winner,
            "significant": self.significant,
            "rule": self.rule,
            "summary": self.summary,
            "method": self.method,
            "p_value": self.p_value,
            "probability_best": list(self.probability_best),
            "ready_at": _iso(self.ready_at),
            "decided_at": _iso(self.decided_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubjectTestReport:
        return cls(
            **{
                **data,
                "variants": tuple(VariantReport(**v) for v in data["variants"]),
                "probability_best": tuple(data.get("probability_best") or ()),
                "ready_at": _time(data.get("ready_at")),
                "decided_at": _time(data.get("decided_at")),
            }
        )


def subject_test_report(store: SubjectTestStore, issue_number: int) -> SubjectTestReport | None:
    """The issue's test as its report shows it (None: it had none)."""
    test = store.subject_test(issue_number)
    if test is None:
        return None
    counts = store.variant_counts(issue_number, len(test.subjects))
    variants = tuple(
        VariantReport(s, c.sent, c.unique_opens, c.unique_clicks)
        for s, c in zip(test.subjects, counts, strict=False)
    )
    d = test.decision
    return SubjectTestReport(
        metric=test.metric.value,
        sample=test.sample_size,
        variants=variants,
        winner=test.winner,
        significant=None if d is None else d.significant,
        rule=None if d is None else d.rule,
        summary=d.summary if d is not None else _standing(test),
        method="" if d is None else d.method,
        p_value=None if d is None else d.p_value,
        probability_best=() if d is None else d.probability_best,
        ready_at=test.ready_at,
        decided_at=test.decided_at,
    )


def _standing(test: SubjectTest) -> str:
    if test.ready_at is None:
        return "the sample is going out"
    return f"the rest gets the winner from {test.ready_at:%Y-%m-%d %H:%M} UTC"


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at else None


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None
