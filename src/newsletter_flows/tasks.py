"""Thin tasks over `newsletter.weekly.steps`: one step each, retried by Prefect, never by hand.

Every task reads the settings itself, so no secret ever travels as a task parameter.
Sending is safe to retry: the delivery ledger reaches each subscriber at most once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.states import State

from flows.settings import settings
from newsletter.delivery.send import SendReport
from newsletter.domain.papers import FeedReport
from newsletter.domain.week import Week
from newsletter.engagement import steps as engagement
from newsletter.engagement.steps import ReportPage
from newsletter.errors import NewsletterError
from newsletter.weekly import steps
from newsletter.weekly.steps import Draft, Edits


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
    return steps.upgrade_store(settings())


@task(name="ingest-feed", task_run_name="ingest {name}", **RETRIED)
def ingest_feed(name: str, since: dt.date, until: dt.date) -> FeedReport:
    return steps.ingest_feed(settings(), name, since, until)


@task(name="build-issue", cache_policy=NO_CACHE)
def build(week_start: dt.date, edits: Edits) -> Draft:
    return steps.prepare(settings(), Week.containing(week_start), edits)


@task(name="send-proof", **RETRIED)
def send_proof(number: int, addresses: Sequence[str], backend: str | None) -> int:
    return steps.send_proofs(settings(), number, addresses, backend)


@task(name="send-issue", **RETRIED)
def send(number: int, backend: str | None) -> SendReport:
    return steps.deliver(settings(), number, backend)


@task(name="remember-edits", **RETRIED)
def remember_edits(week_start: dt.date, before: Edits, after: Edits) -> int:
    """The editor's approval edits, kept for the models to learn from."""
    return steps.record_edits(settings(), week_start, before, after)


@task(name="learn", **RETRIED)
def learn(number: int) -> str:
    """The sent issue and its edits become examples; the models retrain (a new version)."""
    return steps.learn_from_issue(settings(), number)


@task(name="issue-report", **RETRIED)
def report(number: int | None, weeks: int) -> ReportPage | None:
    """The issue's report, its page written (NEWSLETTER_REPORTS_DIR) and linked; None while
    no issue has been sent."""
    return engagement.report_page(settings(), number, weeks)


@task(name="fold-events", **RETRIED)
def fold_events() -> str:
    """Issues older than NEWSLETTER_EVENTS_KEEP_DAYS keep their totals, not their events."""
    return engagement.fold(settings()).message


@task(name="previous-report", **RETRIED)
def previous_report(number: int) -> str | None:
    return engagement.previous_report(settings(), number)


def ingest_all(since: dt.date, until: dt.date) -> dict[str, State[Any]]:
    """Every configured feed as its own task, side by side; one failing leaves the rest alone."""
    names = steps.feed_names(settings())
    futures = [ingest_feed.submit(name, since, until) for name in names]
    wait(futures)
    return {name: future.state for name, future in zip(names, futures, strict=True)}
