"""Papers in: the configured feeds by name (or ad-hoc ones), ingested all at once for a
command or the demo, or one per task for a scheduler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.app import App
from newsletter.config import resolve_location
from newsletter.domain.papers import FeedReport, FeedSpec, SourceKind
from newsletter.errors import ConfigError, IngestError
from newsletter.feeds.ingest import ingest as ingest_feeds

__all__ = ["Ingested", "adhoc", "feed_names", "feeds", "ingest", "ingest_feed"]


@dataclass(frozen=True, slots=True)
class Ingested:
    feeds: list[FeedReport]  # one per feed, in the order asked
    papers: int  # papers in the store afterwards
    store: str  # where, password hidden

    @property
    def worked(self) -> list[FeedReport]:
        return [r for r in self.feeds if r.ok]


def feed_names(app: App) -> list[str]:
    return [f.name for f in app.editor().feeds]


def feeds(app: App, names: Sequence[str] = (), extra: Sequence[FeedSpec] = ()) -> list[FeedSpec]:
    """The configured feeds (all, or those named), plus `extra` ad-hoc ones (`adhoc`); with
    only extra ones, newsletter.toml need not exist."""
    configured: list[FeedSpec] = []
    config = app.settings.config
    if config.exists() or not extra:
        configured = app.editor().feed_specs()
    by_name = {spec.name: spec for spec in configured}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ConfigError(f"no feed named {', '.join(unknown)} in {config} (known: {known})")
    chosen = [by_name[n] for n in names] if names else configured
    specs = [*chosen, *extra]
    if not specs:
        raise ConfigError(
            f"no feeds configured in {config}",
            hint="add [[feeds]] entries or pass --source KIND=URL",
        )
    return specs


def adhoc(text: str) -> FeedSpec:
    """`KIND=URL` as a feed of its own; a relative file path is taken from the working folder."""
    kind, sep, url = text.partition("=")
    kinds = ", ".join(k.value for k in SourceKind)
    if not sep or not url:
        raise ConfigError(f"{text!r} is not KIND=URL (kinds: {kinds})")
    try:
        source_kind = SourceKind(kind.strip())
    except ValueError:
        raise ConfigError(f"unknown kind {kind!r} (kinds: {kinds})") from None
    location = resolve_location(url.strip(), Path.cwd())
    return FeedSpec(name=f"{source_kind.value}:{url.strip()}", kind=source_kind, url=location)


def ingest(
    app: App,
    specs: Sequence[FeedSpec],
    *,
    since: dt.date,
    until: dt.date,
    on_feed: Callable[[FeedReport], None] | None = None,
) -> Ingested:
    """Ingest `specs` side by side for listing dates in [since, until]; one failing feed
    never stops the others (each report says what it gave or why it failed)."""
    with app.store() as store, app.fetcher() as fetch:
        reports = ingest_feeds(
            specs, store, since=since, until=until, fetcher=fetch, on_feed=on_feed
        )
        store.record_ingests(reports)  # /healthz reads when the feeds last came in
        return Ingested(reports, store.count_papers(), store.safe_url)


def ingest_feed(app: App, name: str, since: dt.date, until: dt.date) -> FeedReport:
    """Ingest one configured feed; IngestError if it gave nothing.

    The fetcher has already retried it within NEWSLETTER_HTTP_RETRY_BUDGET, and the error
    says it is not `retryable`: a scheduler retrying it would multiply the wait for a dead feed.
    """
    (spec,) = feeds(app, [name])
    with app.store() as store, app.fetcher() as fetch:
        # one feed per task already runs beside the others: no threads or processes of its own
        (report,) = ingest_feeds(
            [spec], store, since=since, until=until, fetcher=fetch, threads=1, processes=1
        )
        store.record_ingests([report])
    if report.error:
        raise IngestError(f"feed {name}: {report.error}")
    return report
