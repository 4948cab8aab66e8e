"""daily-ingest: every configured feed into the store, one task per feed, every morning."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger

from newsletter.errors import IngestError

from . import publish
from .notify import tell_editors
from .settings import today
from .tasks import ingest_all, upgrade_store


@flow(
    name="daily-ingest",
    on_failure=[tell_editors],
    on_crashed=[tell_editors],
    on_cancellation=[tell_editors],
)
def daily_ingest(days: int = 2) -> str:
    """Ingest the last `days` days (today included): overlapping runs change nothing, and
    a day a feed skipped (weekends, holidays, an outage) is caught the next morning."""
    until = today()
    since = until - dt.timedelta(days=max(1, days) - 1)
    upgrade_store()
    states = ingest_all(since, until)
    publish.feeds(states)
    failed = [
        f"{name} ({state.message})" for name, state in states.items() if not state.is_completed()
    ]
    if states and len(failed) == len(states):
        raise IngestError(f"no feed could be ingested: {'; '.join(failed)}")
    summary = f"{len(states) - len(failed)} of {len(states)} feeds ingested for {since} … {until}"
    if failed:
        get_run_logger().warning("%s; failed: %s", summary, "; ".join(failed))
        summary += f"; failed: {', '.join(failed)}"
    return summary
