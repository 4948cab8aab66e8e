"""The subject-line test in the weekly run (docs/subject-tests.md).

After approval the run sends the sample, each reader one of `[subject_test]`'s subjects,
then schedules the rest as a run of its own: a run of this same weekly-issue deployment for
the same week, at the sample's send + `wait_hours`, and ends. No worker is held for hours.
That run finds the issue's sending started, so it skips proof and approval (as any later run
of a sent week does), chooses the winner, sends everyone else with it, and mails the editors
the result. Both runs are in the dashboard under weekly-issue, the second named
`issue-N-rest-with-winner` and tagged `subject-test` until it runs.

Why a run of weekly-issue rather than a deployment of its own: it is already served and
deployed (serve.py, prefect.yaml, one worker per queue), it already knows how to finish a
started send with nobody twice, and its failure notices reach the editors; a second
deployment would need its own schedule-less entry in both places and its own worker.
"""

from __future__ import annotations

import datetime as dt
import time

from prefect import get_run_logger, task
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.objects import State as RunState
from prefect.states import Completed

from newsletter.config import EditorConfig
from newsletter.errors import SubjectTestError
from newsletter.services import subject_test as subject_tests
from newsletter.services.build import Draft
from newsletter.services.notify import notify_editors
from newsletter.services.subject_test import Phase, SampleSent, State

from . import publish
from .settings import app
from .tasks import RETRIED

PATIENCE = dt.timedelta(minutes=2)  # the rest's run, started this early, waits it out
REST_TAGS = ("newsletter", "subject-test")


@task(name="subject-test-state", **RETRIED)
def test_state(number: int, planned: bool) -> State:
    return subject_tests.state(app(), number, planned=planned)


@task(name="send-sample", **RETRIED)
def send_sample(number: int, backend: str | None) -> SampleSent:
    """The sample, each reader their subject; a retry finishes it (the ledger keeps it once)."""
    return subject_tests.send_sample(app(), number, backend)


@task(name="schedule-rest", **RETRIED)
def schedule_rest(
    week_start: dt.date, number: int, at: dt.datetime, backend: str | None
) -> str | None:
    """A run of this deployment for the same week at `at`, once whatever the retries (its
    idempotency key); its name, or None when this run is not a deployment's."""
    from prefect.deployments import run_deployment
    from prefect.runtime import deployment

    if not deployment.id:
        return None
    run = run_deployment(
        deployment.id,
        parameters={"week": week_start.isoformat(), "backend": backend},
        scheduled_time=at,
        flow_run_name=f"issue-{number}-rest-with-winner",
        timeout=0,
        tags=REST_TAGS,
        idempotency_key=f"issue-{number}-subject-test-rest",
        as_subflow=False,  # a run of its own in the dashboard, not a child of this one
    )
    assert isinstance(run, FlowRun)  # called from sync code: the run itself, not a coroutine
    return run.name


@task(name="tell-subject-test", **RETRIED)
def tell_result(number: int, backend: str | None) -> tuple[str, ...]:
    """The decided test's result to the editors, once."""
    mail = subject_tests.result_mail(app(), number)
    if mail is None:
        return ()
    sent_to = notify_editors(app(), *mail, backend=backend)
    subject_tests.told(app(), number)
    return sent_to


def before_send(draft: Draft, config: EditorConfig, backend: str | None) -> RunState[object] | None:
    """The test's part before the ordinary send: a final state when this run ends with the
    sample out and the rest scheduled; None to go on (no test, too few readers for one, or
    the winner due now), the ordinary send then giving everyone else their subject."""
    planned = config.subject_test is not None and config.subject_test.enabled
    found = test_state(draft.number, planned)
    if found.phase is Phase.NONE or found.phase is Phase.REST:
        return None
    test = found.test
    if found.phase is Phase.SAMPLE:
        sample = send_sample(draft.number, backend)
        test = sample.test
        publish.subject_test(test_state(draft.number, False))
        if test.decision is not None:
            return None  # too few readers: the ordinary send gives everyone the first subject
    elif test is not None and test.ready_at is not None:  # waiting: the rest's run, early?
        left = test.ready_at - dt.datetime.now(dt.UTC)
        if left <= PATIENCE:  # a runner's prefetch starts runs early: wait the rest out here
            time.sleep(max(left.total_seconds(), 0))
            return None
    assert test is not None
    if test.ready_at is None:  # the sample's send stopped short without an error
        raise SubjectTestError(
            f"the sample of issue {draft.number} is not all sent", issue=draft.number
        )
    rest = schedule_rest(draft.week_start, draft.number, test.ready_at, backend)
    when = f"{test.ready_at:%Y-%m-%d %H:%M} UTC"
    if rest is None:
        where = f"this run is no deployment's: send it then with `newsletter send --issue {draft.number}`"
        get_run_logger().warning("nothing scheduled the rest of issue %s", draft.number)
    else:
        where = f"in the run '{rest}'"
    return Completed(
        message=f"issue {draft.number}: the subject test's sample went to {test.sample_size} "
        f"in {len(test.subjects)} subjects; the rest gets the winner at {when}, {where}"
    )


def after_send(number: int, backend: str | None) -> None:
    """A decided test: its artifact, and the result to the editors (once)."""
    found = test_state(number, False)
    if found.test is None or found.test.decision is None:
        return
    publish.subject_test(found)
    tell_result(number, backend)
