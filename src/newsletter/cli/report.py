"""`newsletter report` and `newsletter fold-events`: how an issue did, and retention."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from newsletter.app import report_link
from newsletter.cli.base import Context, out
from newsletter.engagement.page import report_html
from newsletter.engagement.report import make_report
from newsletter.engagement.retention import fold_old_events
from newsletter.engagement.tables import report_text
from newsletter.private_files import write_private


@click.command()
@click.option(
    "--issue", "number", type=click.IntRange(1), help="The issue (default: the latest sent)."
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=8,
    show_default=True,
    help="Weeks of list growth.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as one self-contained page with charts.",
)
@click.pass_obj
def report(
    obj: Context, number: int | None, weeks: int, as_json: bool, html_path: Path | None
) -> None:
    """How an issue did: audience, deliveries, bounces, complaints, unsubscribes (by way),
    unique opens and clicks with their rates, clicks per paper, section and promo, the
    first 72 hours, and the list's growth over the last weeks.

    Counts are unique subscribers, rates are of delivered messages; opens made only by
    Apple Mail Privacy Protection are counted apart. Needs SendGrid's Event Webhook
    (`newsletter web`) to have received the issue's events.

    Example: newsletter report --issue 12 --html report-12.html
    """
    with obj.store() as store:
        found = make_report(store, number, weeks=weeks)
    if html_path is not None:
        write_private(html_path, report_html(found, templates=obj.settings.templates))
    if as_json:
        click.echo(json.dumps(found.to_json()))
        return
    click.echo(report_text(found))
    link = report_link(obj.settings, found.engagement.issue)
    if link:
        out.print(f"\nthe page, with charts: {link}", soft_wrap=True)
    if html_path is not None:
        out.print(f"wrote {html_path}")


@click.command("fold-events")
@click.option(
    "--keep-days",
    type=click.IntRange(7),
    help="Fold issues sent longer ago than this (default: NEWSLETTER_EVENTS_KEEP_DAYS, 180).",
)
@click.pass_obj
def fold_events(obj: Context, keep_days: int | None) -> None:
    """Fold the raw events of issues sent long ago into each issue's totals, and drop them.

    Their reports read the same afterwards; the store stops growing with every open and
    click. The issue-report flow does this after each report.

    Example: newsletter fold-events --keep-days 90
    """
    keep = dt.timedelta(days=keep_days or obj.settings.events_keep_days)
    with obj.store() as store:
        folded = fold_old_events(store, keep, store.clock())
    out.print(folded.message)
