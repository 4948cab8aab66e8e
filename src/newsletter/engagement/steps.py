"""The engagement steps a scheduler runs (flows/issue_report.py), each from the settings:
the report with its page written and its link, folding old events, the last report's link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from newsletter import app
from newsletter.config import Settings
from newsletter.engagement.page import report_html
from newsletter.engagement.report import Report, make_report
from newsletter.engagement.retention import Folded, fold_old_events
from newsletter.private_files import write_private


@dataclass(frozen=True, slots=True)
class ReportPage:
    report: Report
    path: Path  # the page, written under NEWSLETTER_REPORTS_DIR
    link: str | None  # the web app's live page, when NEWSLETTER_BASE_URL and SECRET are set

    @property
    def where(self) -> str:
        return self.link or self.path.as_uri()


def report_page(settings: Settings, number: int | None = None, weeks: int = 8) -> ReportPage | None:
    """Issue `number`'s report (the latest sent issue's if None: then None while nothing has
    been sent, as on a new list's first Thursday), its page written to disk."""
    with app.open_store(settings) as store:
        if number is None and not store.sent_issue_numbers():
            return None
        found = make_report(store, number, weeks=weeks)
    issue = found.engagement.issue
    path = (settings.reports_dir / f"issue-{issue}.html").resolve()
    write_private(path, report_html(found, templates=settings.templates))
    return ReportPage(found, path, app.report_link(settings, issue))


def fold(settings: Settings, now: dt.datetime | None = None) -> Folded:
    """Fold issues sent more than NEWSLETTER_EVENTS_KEEP_DAYS ago."""
    keep = dt.timedelta(days=settings.events_keep_days)
    with app.open_store(settings) as store:
        return fold_old_events(store, keep, now or store.clock())


def previous_report(settings: Settings, number: int) -> str | None:
    """A Markdown line linking the report of the last issue sent before `number`, if any."""
    with app.open_store(settings) as store:
        earlier = [n for n in store.sent_issue_numbers() if n < number]
    if not earlier:
        return None
    last = earlier[0]
    page = (settings.reports_dir / f"issue-{last}.html").resolve()
    where = app.report_link(settings, last) or (page.as_uri() if page.exists() else None)
    if where is None:
        return f"Issue {last}'s report: `newsletter report --issue {last}`"
    return f"[How issue {last} did: its report]({where})"
