"""Thin tasks over `newsletter.services`: one service call each, retried by Prefect, never by hand.

Every task reads the settings itself, so no secret ever travels as a task parameter.
Sending is safe to retry: the delivery ledger reaches each subscriber at most once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.futures import wait

from newsletter.domain.papers import FeedReport
from newsletter.domain.review import Refusal
from newsletter.domain.week import Week
from newsletter.errors import NewsletterError
from newsletter.issue.edits import Edits
from newsletter.services import build, ingest, learn, review, send
from newsletter.services import report as reporting
from newsletter.services.build import Draft
from newsletter.services.report import ReportPage
from newsletter.services.review import Answered
from newsletter.services.send import SendReport

from .settings import app


def worth_retrying(_task: Any, _run: Any, state: State[Any]) -> bool:
    """Retry what the error itself says may pass (`NewsletterError.retryable`): not a wrong
    setting or address, nor a feed that has already had its retries within
    NEWSLETTER_HTTP_RETRY_BUDGET (a task retry on top would multiply them)."""
    try:
        state.result()
    except NewsletterError as exc:
        return exc.retryable
    except Exception:  # anything else may pass: the network, a server, a lock
        return True
    return True


RETRIED: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [2, 5, 15],
    "retry_condition_fn": worth_retrying,
    "cache_policy": NO_CACHE,
}


@task(name="upgrade-store", task_run_name="upgrade-store", **RETRIED)
def upgrade_store() -> str:
    """The store's schema brought up to date once, before any step opens it."""
    return app().migrate()


@task(name="ingest-feed", task_run_name="ingest {name}", **RETRIED)
def ingest_feed(name: str, since: dt.date, until: dt.date) -> FeedReport:
    return ingest.ingest_feed(app(), name, since, until)


@task(name="build-issue", cache_policy=NO_CACHE)
def build_issue(week_start: dt.date, edits: Edits) -> Draft:
    return build.prepare(app(), Week.containing(week_start), edits)


@task(name="wait-for-editor", **RETRIED)
def wait_for_editor(number: int, run_id: str, until: dt.datetime) -> None:
    """This run waits for the editor's answer: the review page's approval resumes it."""
    review.waiting(app(), number, run_id, until)


@task(name="done-waiting", **RETRIED)
def done_waiting(number: int, run_id: str) -> None:
    review.resumed(app(), number, run_id)


@task(name="answer-issue", cache_policy=NO_CACHE)
def answer_issue(
    number: int,
    edits: Edits,
    refused: tuple[Refusal, ...],
    approve: bool,
    seen: int,
    run_id: str | None,
) -> Answered:
    """The editor's answer, under the review page's rules: the edits that can apply make a
    new version (no backfill; a typo refuses only itself), approval of the version seen."""
    return review.answer(
        app(), number, edits, refused, approve_it=approve, seen=seen or None, run=run_id
    )


@task(name="draft", **RETRIED)
def draft_of(number: int) -> Draft:
    return build.draft_of(app(), number)


@task(name="send-proof", **RETRIED)
def send_proof(number: int, addresses: Sequence[str], backend: str | None) -> int:
    return send.send_proof(app(), number, addresses, backend)


@task(name="fix-issue", **RETRIED)
def fix_issue(number: int, approved: int | None) -> None:
    """The issue fixed for sending before anything goes out (the subject test's sample
    included): the version the editor approved when one was asked for (DraftError if the
    draft changed since), else the draft as it is (a run without approval)."""
    send.fix(app(), number, approved=approved, require_approval=approved is not None)


@task(name="send-issue", **RETRIED)
def send_issue(number: int, backend: str | None, approved: int | None) -> SendReport:
    """The issue to every subscriber: the version the editor approved, when one was asked
    for (nothing else passes), else the draft as it is (a run without approval)."""
    return send.send(
        app(), number, backend, approved=approved, require_approval=approved is not None
    )


@task(name="learn", **RETRIED)
def learn_from_issue(number: int) -> str:
    """The sent issue and its edits become examples; the models retrain (a new version)."""
    return learn.learn_from_issue(app(), number)


@task(name="issue-report", **RETRIED)
def report(number: int | None, weeks: int) -> ReportPage | None:
    """The issue's report, its page written (NEWSLETTER_REPORTS_DIR) and linked; None while
    no issue has been sent."""
    return reporting.report_page(app(), number, weeks)


@task(name="fold-events", **RETRIED)
def fold_events() -> str:
    """Issues older than NEWSLETTER_EVENTS_KEEP_DAYS keep their totals, not their events."""
    return reporting.fold(app()).message


@task(name="previous-report", **RETRIED)
def previous_report(number: int) -> str | None:
    return reporting.previous_report(app(), number)


def audience(number: int) -> int:
    return send.audience(app(), number)


def ingest_all(since: dt.date, until: dt.date) -> dict[str, State[Any]]:
    """Every configured feed as its own task, side by side; one failing leaves the rest alone."""
    names = ingest.feed_names(app())
    futures = [ingest_feed.submit(name, since, until) for name in names]
    wait(futures)
    return {name: future.state for name, future in zip(names, futures, strict=True)}
