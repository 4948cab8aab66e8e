"""Is the newsletter working: the store answers, the daily ingest keeps up, the last send
finished or moves, and Prefect's API knows the deployments and when the weekly run is next.
What `GET /healthz` answers (ops/health.py rates it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import SQLAlchemyError

from newsletter.app import App
from newsletter.config import Settings
from newsletter.errors import NewsletterError
from newsletter.ops.health import Health, PrefectView, assess
from newsletter.ops.prefect_api import DEPLOYMENTS, WEEKLY, PrefectApi, PrefectUnavailable
from newsletter.store import IngestLog, LastSend

__all__ = ["Health", "health", "prefect_api", "prefect_view"]


def health(app: App, *, now: dt.datetime | None = None, api: PrefectApi | None = None) -> Health:
    """Every check, as of `now`. `api` (closed here) replaces the one PREFECT_API_URL names."""
    now = now or dt.datetime.now(dt.UTC)
    problem: str | None = None
    ingests: IngestLog | None = None
    last: LastSend | None = None
    try:
        with app.store() as store:
            ingests, last = store.ingest_log(), store.last_send()
    except (SQLAlchemyError, NewsletterError, OSError) as exc:
        problem = f"does not answer ({type(exc).__name__})"  # its message may hold the URL
    api = api or prefect_api(app.settings)
    view = prefect_view(api, now) if api else _unset()
    return assess(store=problem, ingests=ingests, last_send=last, prefect=view, now=now)


def prefect_api(settings: Settings) -> PrefectApi | None:
    """A client of the API PREFECT_API_URL names (with its key or auth string); None if unset."""
    if not settings.prefect_api_url:
        return None
    key, auth = settings.prefect_api_key, settings.prefect_api_auth_string
    return PrefectApi(
        settings.prefect_api_url,
        api_key=key.get_secret_value() if key else None,
        auth_string=auth.get_secret_value() if auth else None,
    )


def prefect_view(api: PrefectApi, now: dt.datetime) -> PrefectView:
    """What the API knows of the newsletter's deployments; the client is closed afterwards."""
    with api:
        try:
            api.healthy()
            found = {name: api.deployment(name) for name in DEPLOYMENTS}
            weekly = found[WEEKLY]
            next_run = api.next_run(weekly, now) if weekly is not None else None
        except PrefectUnavailable as exc:
            return PrefectView(False, f"the Prefect API {exc}")
    known = [d for d in found.values() if d is not None]
    return PrefectView(
        answered=True,
        detail="",
        missing=tuple(name for name, d in found.items() if d is None),
        not_ready=tuple(d.name for d in known if not d.ready),
        paused=tuple(d.name for d in known if d.paused),
        next_weekly_run=next_run,
    )


def _unset() -> PrefectView:
    return PrefectView(
        False,
        "PREFECT_API_URL is not set: the deployments and their schedules are unknown",
        configured=False,
    )
