"""Engagement: the provider's events in (the webhook), and how an issue did out: the report,
its page with charts (written to a file, or rendered for the web app), the link to the last
issue's report, and folding old issues' events into their totals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.app import App
from newsletter.engagement.ingest import EventReport, apply_events
from newsletter.engagement.page import CHART_LIBRARY, chart_library, report_html
from newsletter.engagement.report import Report, make_report
from newsletter.engagement.retention import Folded, fold_old_events
from newsletter.private_files import write_private

__all__ = [
    "EventReport",
    "Folded",
    "Report",
    "ReportPage",
    "fold",
    "link",
    "page_html",
    "previous_report",
    "record_events",
    "report",
    "report_page",
    "write_page",
]


@dataclass(frozen=True, slots=True)
class ReportPage:
    report: Report
    path: Path  # the page, written under NEWSLETTER_REPORTS_DIR
    link: str | None  # the web app's live page, when NEWSLETTER_BASE_URL and SECRET are set

    @property
    def where(self) -> str:
        return self.link or self.path.as_uri()


def record_events(
    app: App, events: list[Any], now: dt.datetime, *, base_url: str | None = None
) -> EventReport:
    """The provider's events (SendGrid's webhook), each kept once and applied: bounces,
    complaints and unsubscribes to the list, opens and clicks to the issue's deliveries."""
    with app.store() as store:
        return apply_events(store, events, now, base_url=base_url)


def report(
    app: App, number: int | None = None, *, weeks: int = 8, now: dt.datetime | None = None
) -> Report:
    """How issue `number` did (the latest sent one if None), with `weeks` of list growth."""
    with app.store() as store:
        return make_report(store, number, weeks=weeks, now=now)


def write_page(app: App, found: Report, path: Path | None = None) -> Path:
    """The report as a page with charts, written to `path` (default
    NEWSLETTER_REPORTS_DIR/issue-N.html), its chart library beside it (once for every page in
    the folder: 4.8 MB); where the page went. It works offline, opened from the disk."""
    path = path or app.settings.reports_dir / f"issue-{found.engagement.issue}.html"
    library = path.parent / CHART_LIBRARY
    if not library.exists():  # written atomically: there means whole
        write_private(library, chart_library())
    write_private(path, page_html(app, found))  # like every file of ours: its owner's only
    return path


def page_html(app: App, found: Report, library: str = CHART_LIBRARY) -> str:
    """The page, loading its chart library from `library` (relative to the page)."""
    return report_html(found, library=library, templates=app.settings.templates)


def link(app: App, number: int) -> str | None:
    """The web app's page of the issue's report, signed; None without a base URL and secret."""
    return app.report_link(number)


def report_page(app: App, number: int | None = None, weeks: int = 8) -> ReportPage | None:
    """Issue `number`'s report (the latest sent issue's if None: then None while nothing has
    been sent, as on a new list's first Thursday), its page written and linked."""
    if number is None:
        with app.store() as store:
            if not store.sent_issue_numbers():
                return None
    found = report(app, number, weeks=weeks)
    path = write_page(app, found).resolve()
    return ReportPage(found, path, link(app, found.engagement.issue))


def fold(app: App, keep_days: int | None = None, now: dt.datetime | None = None) -> Folded:
    """Fold the raw events of issues sent more than `keep_days` (default
    NEWSLETTER_EVENTS_KEEP_DAYS) ago into their totals, and drop them."""
    keep = dt.timedelta(days=keep_days or app.settings.events_keep_days)
    with app.store() as store:
        return fold_old_events(store, keep, now or store.clock())


def previous_report(app: App, number: int) -> str | None:
    """A Markdown line linking the report of the last issue sent before `number`, if any."""
    with app.store() as store:
        earlier = [n for n in store.sent_issue_numbers() if n < number]
    if not earlier:
        return None
    last = earlier[0]
    page = (app.settings.reports_dir / f"issue-{last}.html").resolve()
    where = link(app, last) or (page.as_uri() if page.exists() else None)
    if where is None:
        return f"Issue {last}'s report: `newsletter report --issue {last}`"
    return f"[How issue {last} did: its report]({where})"
