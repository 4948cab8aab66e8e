"""A subject-line test (A/B/n) of one issue: what it tests, who is in its sample, and what
decided it. No I/O; the statistics are delivery/subject_test.py's.

The sample is random but stable for the issue: each active subscriber gets a place from a
keyed hash of (issue, subscriber), the lowest places make the sample, and they are dealt to
the variants in turn, so every variant gets exactly as many readers. The same audience and
key give the same sample every time; once recorded in the ledger it is fixed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from string import Formatter
from typing import Any

PLACEHOLDERS = ("title", "week")
LABELS = "ABCD"  # variants by their place in [subject_test] subjects

# Which rule decided, as the report says it.
TOO_FEW = "too few: first subject"
NO_SIGNAL = "no signal yet: first subject"
TIE = "tie: first listed of the best"


class Metric(StrEnum):
    OPENS = "opens"  # unique human opens (Apple's machine opens left out)
    CLICKS = "clicks"  # unique clickers on the issue's content

    @property
    def noun(self) -> str:
        return "open" if self is Metric.OPENS else "click"


def label(variant: int) -> str:
    return LABELS[variant]


def placeholders_of(template: str) -> list[str]:
    """The placeholders a subject template uses; ValueError for anything but {title} and
    {week} written plainly (no format spec, no conversion)."""
    found = []
    try:
        parsed = list(Formatter().parse(template))
    except ValueError as exc:  # a lone "{" or "}"
        raise ValueError(f"{template!r}: {exc} (write {{{{ and }}}} for a brace)") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValueError(f"{template!r}: unknown placeholder {{{name}}} (known: {known})")
        found.append(name)
    return found


def render_subjects(templates: Sequence[str], *, title: str, week: str) -> tuple[str, ...]:
    """The subject lines as readers see them: {title} is the issue's title, {week} the
    week's name ("Fourth Week of November 2024"); whitespace folded to single spaces."""
    values = {"title": title, "week": week}
    return tuple(" ".join(t.format_map(values).split()) for t in templates)


def sample_key(secret: str) -> bytes:
    """The hash key of samples, derived from the link secret: nobody without it can tell
    who will be in a sample, and it never doubles as a link key."""
    secret_key = hashlib.sha256(secret.encode()).digest()
    return hashlib.blake2b(b"subject-test sample", key=secret_key).digest()


def sample_size(audience: int, share: float, variants: int) -> int:
    """Readers per variant: `share` of the audience, split evenly (rounded down)."""
    return math.floor(share * audience + 1e-9) // variants


def choose_sample(
    issue_number: int, subscriber_ids: Sequence[int], *, per_variant: int, variants: int, key: bytes
) -> dict[int, int]:
    """subscriber id → variant for `per_variant` readers of each variant."""

    def place(subscriber_id: int) -> bytes:
        text = f"{issue_number}:{subscriber_id}".encode()
        return hashlib.blake2b(text, key=key, digest_size=16).digest()

    ranked = sorted(subscriber_ids, key=place)[: per_variant * variants]
    return {subscriber_id: n % variants for n, subscriber_id in enumerate(ranked)}


@dataclass(frozen=True, slots=True)
class VariantCounts:
    """One variant's sample: messages sent, and unique readers who opened or clicked."""

    sent: int = 0
    unique_opens: int = 0
    unique_clicks: int = 0

    def hits(self, metric: Metric) -> int:
        return self.unique_opens if metric is Metric.OPENS else self.unique_clicks


@dataclass(frozen=True, slots=True)
class Decision:
    """Which variant the rest of the list gets, which rule chose it, and on what numbers."""

    winner: int
    rule: str
    significant: bool | None  # None: no test was run (too few readers)
    summary: str  # one line for the editor: what won, on what, and how sure
    method: str = ""  # "two-proportion z-test" | "probability to be best" | ""
    p_value: float | None = None  # two variants
    probability_best: tuple[float, ...] = ()  # three or four variants
    counts: tuple[VariantCounts, ...] = ()  # the sample's numbers when it was decided

    def to_json(self) -> dict[str, Any]:
        return {
            "winner": self.winner,
            "rule": self.rule,
            "significant": self.significant,
            "summary": self.summary,
            "method": self.method,
            "p_value": self.p_value,
            "probability_best": list(self.probability_best),
            "counts": [[c.sent, c.unique_opens, c.unique_clicks] for c in self.counts],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            winner=int(data["winner"]),
            rule=str(data["rule"]),
            significant=data.get("significant"),
            summary=str(data.get("summary", "")),
            method=str(data.get("method", "")),
            p_value=data.get("p_value"),
            probability_best=tuple(data.get("probability_best") or ()),
            counts=tuple(VariantCounts(*c) for c in data.get("counts") or ()),
        )


def too_few(per_variant: int, minimum: int) -> Decision:
    return Decision(
        0,
        TOO_FEW,
        None,
        f"too few readers for a test: {per_variant} a subject, {minimum} wanted "
        "([subject_test] min_per_variant); everyone gets the first subject",
    )


@dataclass(frozen=True, slots=True)
class SubjectTest:
    """A subject test as the store keeps it."""

    issue_number: int
    subjects: tuple[str, ...]  # rendered, as readers see them
    metric: Metric
    share: float
    wait_hours: float
    min_per_variant: int
    sample_size: int  # readers in the sample (0: too few, no test run)
    started_at: dt.datetime
    sample_sent_at: dt.datetime | None = None  # when the last of the sample was settled
    decided_at: dt.datetime | None = None
    decision: Decision | None = None
    told_at: dt.datetime | None = None  # when the editors were mailed the result

    @property
    def ready_at(self) -> dt.datetime | None:
        """When the rest may go: `wait_hours` after the sample went out."""
        if self.sample_sent_at is None:
            return None
        return self.sample_sent_at + dt.timedelta(hours=self.wait_hours)

    @property
    def winner(self) -> str | None:
        return None if self.decision is None else self.subjects[self.decision.winner]

    @property
    def rest_subject(self) -> str:
        """What the rest of the list gets: the winner, else (undecided) the first."""
        return self.winner or self.subjects[0]
