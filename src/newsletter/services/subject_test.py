"""Subject-line tests (A/B/n): the sample goes out in every subject, the wait, the winner
chosen once, and the rest of the list sent with it; what the editors are told.

Exactly once across both phases: the sample is queued in the ledger with its variants in
one transaction, so the rest (every active subscriber without a delivery yet, queued by the
ordinary send) never includes anyone in it; each phase is an ordinary ledger send, so a
crash in either resumes as any send does. The winner is recorded before the rest is sent,
so a resumed rest goes on with the same subject.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from newsletter.app import App
from newsletter.config.editor import EditorConfig
from newsletter.config.subject_test import SubjectTestConfig
from newsletter.delivery.message import Envelope
from newsletter.delivery.send import SendReport, send_issue
from newsletter.delivery.subject_test import decide
from newsletter.domain.subject_test import (
    NO_SIGNAL,
    TOO_FEW,
    SubjectTest,
    VariantCounts,
    choose_sample,
    label,
    render_subjects,
    sample_key,
    sample_size,
    too_few,
)
from newsletter.domain.week import Week
from newsletter.engagement.subject_test import SubjectTestReport, subject_test_report
from newsletter.errors import ConfigError, SubjectTestError
from newsletter.issue.lookup import find_issue
from newsletter.store import Store, StoredIssue

__all__ = [
    "Phase",
    "SampleSent",
    "State",
    "readers",
    "result_mail",
    "send_sample",
    "state",
    "told",
]


class Phase(StrEnum):
    NONE = "none"  # no test for this issue: an ordinary send
    SAMPLE = "sample"  # the sample is to go out (or to be finished)
    WAITING = "waiting"  # the sample is out; the rest waits until the test's ready_at
    REST = "rest"  # decided, or due: the rest of the list goes with the winner


@dataclass(frozen=True, slots=True)
class State:
    phase: Phase
    test: SubjectTest | None = None
    report: SubjectTestReport | None = None  # each subject's sample as it stands, the decision


@dataclass(frozen=True, slots=True)
class SampleSent:
    """The sample phase's outcome. No report: there was no sample to send (too few readers:
    the test is decided, and an ordinary send gives everyone the first subject)."""

    test: SubjectTest
    report: SendReport | None = None
    left: int = 0  # of the sample, still queued (a --limit)


def configured(editor: EditorConfig) -> SubjectTestConfig:
    found = editor.subject_test
    if found is None:
        raise ConfigError(
            "newsletter.toml has no [subject_test]",
            hint="add one with 2 to 4 subjects (see docs/subject-tests.md)",
        )
    if not found.enabled:
        raise ConfigError(
            "[subject_test] is switched off (enabled = false)", hint="set enabled = true"
        )
    return found


def state(app: App, number: int, *, planned: bool = False) -> State:
    """Where issue `number`'s test stands. `planned`: an issue with no test that has not
    started going out will get one (the weekly run with [subject_test] switched on)."""
    with app.store() as store:
        test = store.subject_test(number)
        if test is None:
            fresh = planned and not store.delivery_counts(number)
            return State(Phase.SAMPLE if fresh else Phase.NONE)
        report = subject_test_report(store, number)
        if test.decision is not None:
            return State(Phase.REST, test, report)
        ready = test.ready_at
        if ready is None:
            return State(Phase.SAMPLE, test, report)
        return State(Phase.WAITING if store.clock() < ready else Phase.REST, test, report)


def send_sample(
    app: App,
    number: int,
    backend: str | None = None,
    *,
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> SampleSent:
    """The sample phase: the sample chosen and queued once (with [subject_test]), then sent,
    each reader with their variant's subject; run again, it finishes the sample."""
    name = app.backend(backend)
    with app.store() as store:
        stored = find_issue(store, number=number)
        test = store.subject_test(number) or _begin(app, store, stored, name)
        if test.decision is not None or test.sample_sent_at is not None:
            return SampleSent(test)
        with app.sending(stored, name) as (envelope, opened, token):
            report = send_issue(
                store,
                with_subjects(envelope, test),
                opened,
                token,
                limit=limit,
                on_progress=on_progress,
                queued_only=True,
            )
        left = store.sample_left(number)
        if not left:
            store.sample_sent(number)
        found = store.subject_test(number)
        assert found is not None
        return SampleSent(found, report, left)


def for_rest(store: Store, number: int, *, skip_wait: bool = False) -> SubjectTest | None:
    """Issue `number`'s test decided, for the rest of the list to go out with its winner
    (None: the issue has no test). Refuses while the sample is going out, and before the
    wait is over unless `skip_wait`; the decision is made once and kept."""
    test = store.subject_test(number)
    if test is None or test.decision is not None:
        return test
    if test.sample_sent_at is None:
        left = store.sample_left(number)
        if left:
            raise SubjectTestError(
                f"the sample of issue {number}'s subject test is still going out ({left} left)",
                issue=number,
                hint=f"finish it first: newsletter send --issue {number} --test-subjects",
            )
        store.sample_sent(number)  # a run stopped between its last answer and this mark
        test = store.subject_test(number)
        assert test is not None
    ready, now = test.ready_at, store.clock()
    if ready is not None and now < ready and not skip_wait:
        raise SubjectTestError(
            f"issue {number}'s subject test runs until {ready:%Y-%m-%d %H:%M} UTC "
            f"(in {_span(ready - now)}): the rest of the list gets the winner then",
            issue=number,
            hint="send again after that time, or now with --now (the winner is chosen then)",
        )
    store.decide_subject_test(
        number, decide(store.variant_counts(number, len(test.subjects)), test.metric)
    )
    return store.subject_test(number)


def with_subjects(envelope: Envelope, test: SubjectTest) -> Envelope:
    """The issue as a test sends it: the sample's readers their variant's subject, everyone
    else the winner's (the first while undecided)."""
    return dataclasses.replace(envelope, subject=test.rest_subject, variants=test.subjects)


def readers(app: App, number: int) -> list[tuple[int, str, int | None]]:
    """(subscriber id, address, variant) of everyone issue `number` was sent to, by id."""
    with app.store() as store:
        return store.sent_with_variants(number)


def result_mail(app: App, number: int) -> tuple[str, str] | None:
    """The editors' mail of a decided test, as (subject, text); None when there is nothing
    to tell (no test, not decided yet, or told already)."""
    with app.store() as store:
        test = store.subject_test(number)
        if test is None or test.decision is None or test.told_at is not None:
            return None
        counts = store.variant_counts(number, len(test.subjects))
        rest = store.delivery_counts(number)
    return _mail(test, counts, sum(rest.values()) - test.sample_size)


def told(app: App, number: int) -> None:
    with app.store() as store:
        store.subject_test_told(number)


def _begin(app: App, store: Store, stored: StoredIssue, backend: str) -> SubjectTest:
    """Choose and record the sample (or, with too few readers, the first subject)."""
    config = configured(app.editor())
    number = stored.number
    if store.delivery_counts(number):
        raise SubjectTestError(
            f"issue {number} is already being sent without a subject test",
            issue=number,
            hint=f"finish that send: newsletter send --issue {number}",
        )
    week = Week.containing(stored.week_start).name
    subjects = render_subjects(config.subjects, title=stored.title, week=week)
    audience = store.audience_ids(number)
    per_variant = sample_size(len(audience), config.sample, len(subjects))
    now = store.clock()
    test = SubjectTest(
        issue_number=number,
        subjects=subjects,
        metric=config.metric,
        share=config.sample,
        wait_hours=config.wait_hours,
        min_per_variant=config.min_per_variant,
        sample_size=0,
        started_at=now,
    )
    if per_variant < config.min_per_variant:
        decision = too_few(per_variant, config.min_per_variant)
        test = dataclasses.replace(test, sample_sent_at=now, decided_at=now, decision=decision)
        store.start_subject_test(test, {})
    else:
        key = sample_key(app.sender(backend)[0].secret)
        sample = choose_sample(
            number, audience, per_variant=per_variant, variants=len(subjects), key=key
        )
        store.start_subject_test(dataclasses.replace(test, sample_size=len(sample)), sample)
    found = store.subject_test(number)
    assert found is not None
    return found


def _mail(test: SubjectTest, counts: tuple[VariantCounts, ...], rest: int) -> tuple[str, str]:
    decision = test.decision
    assert decision is not None
    n = test.issue_number
    head = f"Issue {n}'s subject test, on {test.metric.value}"
    lines = [f"{head}: {test.sample_size} readers in the sample.", ""]
    for k, (subject, c) in enumerate(zip(test.subjects, counts, strict=False)):
        if not test.sample_size:
            lines.append(f"{label(k)}  {subject}")
            continue
        mark = "  <- winner" if k == decision.winner else ""
        lines.append(
            f"{label(k)}  {subject}\n   sent {c.sent}, {c.unique_opens} opened, "
            f"{c.unique_clicks} clicked{mark}"
        )
    lines += ["", f"Decision ({decision.rule}): {decision.summary}."]
    lines.append(f"The rest of the list ({rest}) gets: {test.subjects[decision.winner]}")
    if decision.rule in (TOO_FEW, NO_SIGNAL):
        subject = f"subject test of issue {n}: {decision.rule}"
    else:
        subject = f"subject test of issue {n}: {label(decision.winner)} won ({decision.rule})"
    return subject, "\n".join(lines)


def _span(left: dt.timedelta) -> str:
    minutes = max(1, round(left.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
