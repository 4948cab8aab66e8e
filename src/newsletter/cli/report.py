"""`newsletter report` and `newsletter fold-events`: how an issue did, and retention."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newsletter.cli.base import Context, out
from newsletter.engagement.tables import report_text
from newsletter.services import report as reporting


@click.command()
@click.option(
    "--issue",
    "number",
    type=click.IntRange(1),
    metavar="N",
    help="The issue (default: the latest sent).",
)
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    metavar="N",
    default=8,
    show_default=True,
    help="Weeks of list growth.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option(
    "--html",
    "html_path",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report as a page with charts (its chart library beside it).",
)
@click.pass_obj
def report(
    obj: Context, number: int | None, weeks: int, as_json: bool, html_path: Path | None
) -> None:
    """How an issue did: audience, deliveries, bounces, complaints, unsubscribes (by way),
    unique opens and clicks with their rates, clicks per paper, section and promo, readers'
    votes ("useful", "not for me") per paper and section, the first 72 hours, and the
    list's growth over the last weeks.

    Counts are unique subscribers, rates are of delivered messages; opens made only by
    Apple Mail Privacy Protection are counted apart. Delivery, bounces, opens and clicks come
    from SendGrid's Event Webhook (`newsletter web`): for an issue sent by SMTP or the
    outbox they are shown as not known (null in --json), never as 0. --html writes the
    page and, beside it once, its chart library (plotly.js): it opens offline.

    Example: newsletter report --issue 12 --html report-12.html
    """
    found = reporting.report(obj.app, number, weeks=weeks)
    if html_path is not None:
        reporting.write_page(obj.app, found, html_path)
    if as_json:
        click.echo(json.dumps(found.to_json()))
        return
    click.echo(report_text(found))
    link = reporting.link(obj.app, found.engagement.issue)
    if link:
        out.print(f"\nthe page, with charts: {link}", soft_wrap=True)
    if html_path is not None:
        out.print(f"wrote {html_path}")


@click.command("fold-events")
@click.option(
    "--keep-days",
    type=click.IntRange(7),
    metavar="N",
    help="Fold issues sent longer ago than this (default: NEWSLETTER_EVENTS_KEEP_DAYS, 180).",
)
@click.pass_obj
def fold_events(obj: Context, keep_days: int | None) -> None:
    """Fold the raw events of issues sent long ago into each issue's totals, and drop them.

    Their reports read the same afterwards; the store stops growing with every open and
    click. The issue-report flow does this after each report.

    Example: newsletter fold-events --keep-days 90
    """
    out.print(reporting.fold(obj.app, keep_days).message)
