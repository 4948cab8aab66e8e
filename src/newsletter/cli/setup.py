"""`newsletter init`, `demo` and `db`: first steps, the offline demo, the store's schema."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.base import Context, out, progress
from newsletter.cli.papers import ingested, print_picks, show_feed
from newsletter.cli.send import summary
from newsletter.config.starter import init_folder
from newsletter.demo import DEMO_DATABASE, run_demo
from newsletter.engagement.tables import decision_line


@click.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option(
    "--templates", is_flag=True, help="Also copy the email and web templates, to edit them."
)
@click.option(
    "--feeds-from",
    "feeds",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Read the feeds from the documents in DIR instead of the real feeds: RSS, Atom or "
    "RDF files, and folders of dated Hugging Face lists (YYYY-MM-DD.json).",
)
@click.option(
    "--demo-feeds",
    is_flag=True,
    help="Copy the demo's recorded feeds (2024-11-20 … 2024-12-12) into FOLDER/feeds and "
    "read them: a folder that works offline.",
)
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
def init(folder: Path, templates: bool, feeds: Path | None, demo_feeds: bool, force: bool) -> None:
    """Start a folder to run the newsletter from: newsletter.toml and .env.

    newsletter.toml holds the feeds, the schedule, the approval and, written out, every
    text of the issue (title, intro, sign-off, footer …), its promos and its sections, as
    they go out: change them there. .env holds the machine settings with a fresh
    NEWSLETTER_SECRET and an example for every backend. Run the other commands from that
    folder.

    Example: newsletter init ~/newsletter --feeds-from ~/feeds
    """
    for path in init_folder(
        folder, force=force, templates=templates, feeds=feeds, demo_feeds=demo_feeds
    ):
        out.print(f"wrote {path}")
    if demo_feeds:
        out.print(
            "next: cd there; `newsletter ingest --since 2024-11-18 --until 2024-12-12`, "
            "`newsletter build --week 2024-11-25`, `newsletter send --week 2024-11-25`; "
            "or `newsletter serve --prefect-server`"
        )
        return
    out.print(
        "next: edit newsletter.toml and .env, then `newsletter ingest`, "
        "`newsletter build --week YYYY-MM-DD` and `newsletter send` (or try `newsletter demo`); "
        "to run it every week: `newsletter serve --prefect-server`"
    )


@click.command()
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    default=DEMO_DATABASE,
    show_default=True,
    help="Store for the demo, kept apart from the real one.",
)
@click.option(
    "--events",
    type=click.IntRange(0, 100_000),
    metavar="N",
    default=0,
    help="Also send to this many synthetic readers and play a synthetic SendGrid event "
    "stream: the issue's engagement report (out/demo/report-issue-1.html).",
)
@click.pass_obj
def demo(obj: Context, database_url: str, events: int) -> None:
    """Run the main job on the bundled demo data: no network, no API keys.

    Starts a fresh demo store, ingests the recorded Hugging Face lists of 2024-11-20 …
    2024-12-12 and an arXiv RSS document, builds the issue of the week of 2024-11-25 into
    out/demo/, and sends it through the outbox to a few demo subscribers. With --events,
    synthetic readers get it too, and their synthetic opens, clicks, bounces,
    unsubscribes and votes on papers make the engagement report (`newsletter report`
    reads the demo store with NEWSLETTER_DATABASE_URL=sqlite:///data/demo.db).

    Example: newsletter demo --events 1000
    """
    with progress("feeds", None) as bar:
        run = run_demo(
            obj.settings,
            database_url=database_url,
            on_feed=lambda report: show_feed(report, bar),
            events=events,
        )
    ingested(run.ingested)
    print_picks(run.built)
    out.print(
        f"issue {run.built.issue.number} of the demo: open {run.built.files['html'].resolve()}"
    )
    out.print(summary(run.sent))
    out.print(f"messages: {run.outbox.resolve()}/*.eml")
    if run.report is not None and run.report_page is not None:
        e = run.report.engagement
        out.print(
            f"synthetic events: {e.delivered} delivered, {e.unique_opens} opened "
            f"({e.open_rate:.1%}), {e.unique_clicks} clicked ({e.click_rate:.1%}), "
            f"{e.votes.up} useful and {e.votes.down} not-for-me votes; "
            f"report: {run.report_page.resolve()}"
        )
        if e.subject_test is not None:
            out.print(f"subject-line test: {decision_line(e.subject_test)}", markup=False)


@click.group()
def db() -> None:
    """The store's schema: `newsletter db upgrade` brings it up to date.

    Example: newsletter db upgrade
    """


@db.command()
@click.pass_obj
def upgrade(obj: Context) -> None:
    """Create or upgrade the store's tables to the newest schema, keeping the data.

    Every command that uses the store does this first, and so do the web app and each flow
    run; run it alone before a deploy, or to create an empty store.

    Example: newsletter db upgrade
    """
    revision = obj.app.migrate()
    out.print(f"{obj.app.where} is at schema revision {revision}")
