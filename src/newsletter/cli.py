"""The `newsletter` command: one short function per command, its docstring is its help."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newsletter.build import (
    Built,
    Overrides,
    build_issue,
    read_overrides,
    section_taxonomy,
    write_files,
)
from newsletter.cli_base import Context, err, out
from newsletter.config import Settings, load_editorial, resolve_location
from newsletter.delivery import sending
from newsletter.delivery.send import send_issue
from newsletter.errors import ConfigError, IngestError, NewsletterError
from newsletter.ingest import ingest as run_ingest
from newsletter.models import FeedReport, FeedSpec, SourceKind
from newsletter.sections import DEFAULT_SECTIONS, Section
from newsletter.sections import classify as classify_paper
from newsletter.starter import init_folder
from newsletter.subscribers import add as add_subscriber
from newsletter.subscribers import unsubscribe
from newsletter.topics import llm_relevance, paper_kind
from newsletter.week import Week


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The editor's settings file (default: $NEWSLETTER_CONFIG or newsletter.toml).",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """Weekly newsletter of the most important LLM papers: ingest, build, send."""
    ctx.obj = Context(config)


@cli.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First listing date (default: 6 days ago).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last listing date (default: today).")
@click.option("--feed", "feed_names", multiple=True, metavar="NAME", help="Only this configured feed (repeatable).")
@click.option("--source", "sources", multiple=True, metavar="KIND=URL", help="Add an ad-hoc source (repeatable).")
@click.pass_obj
def ingest(
    obj: Context,
    since: dt.datetime | None,
    until: dt.datetime | None,
    feed_names: tuple[str, ...],
    sources: tuple[str, ...],
) -> None:
    """Pull papers from the configured feeds into the paper store.

    Prints one line per feed and exits non-zero only if no feed worked.

    Example: newsletter ingest --since 2024-11-25 --until 2024-12-01 --source rss=https://example.org/feed.xml
    """
    last = until.date() if until else obj.today()
    first = since.date() if since else last - dt.timedelta(days=6)
    if first > last:
        raise click.BadParameter(f"--since {first} is after --until {last}")
    _ingest_and_report(obj, select_feeds(obj.settings, feed_names, sources), first, last)


def _ingest_and_report(obj: Context, specs: list[FeedSpec], since: dt.date, until: dt.date) -> None:
    with obj.store() as store, obj.fetcher() as fetch, _feed_progress(len(specs)) as advance:
        reports = run_ingest(specs, store, since=since, until=until, fetcher=fetch, on_feed=advance)
        total = store.count_papers()
    worked = [r for r in reports if r.ok]
    out.print(f"{len(worked)} of {len(reports)} feeds ingested; {total} papers in {store.safe_url}")
    if not worked:
        raise IngestError("no feed could be ingested")


@cli.command()
@click.option("--week", "week_day", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Any date inside the week (weeks run Monday to Sunday).")
@click.option("--size", type=click.IntRange(1, 100), help="Papers in the issue (default from config: 12).")
@click.option("--include", multiple=True, metavar="ID", help="Force this arXiv id in (repeatable).")
@click.option("--exclude", multiple=True, metavar="ID", help="Keep this arXiv id out (repeatable).")
@click.option("--skip-promo", multiple=True, metavar="NAME", help="Leave this promo block out (repeatable).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the files (default: out/<monday>).")
@click.pass_obj
def build(obj: Context, week_day: dt.datetime, size: int | None, include: tuple[str, ...],
          exclude: tuple[str, ...], skip_promo: tuple[str, ...], out_dir: Path | None) -> None:
    """Build the week's issue from the store and save it as a numbered draft.

    Writes issue.html (CSS inlined), issue.txt, issue.md and issue.json, and prints the
    picks with their section, score and why. The week's file <overrides_dir>/<monday>.toml
    may also hold include, exclude, skip_promos and size.

    Example: newsletter build --week 2024-11-25 --size 6 --exclude 2411.17116
    """
    built, files = _build(obj, week_day.date(), Overrides(include, exclude, skip_promo, size), out_dir)
    _print_picks(built)
    out.print(f"issue {built.issue.number} (draft): {files['html']} (also .txt, .md, .json)")


def _build(obj: Context, day: dt.date, cli_overrides: Overrides, out_dir: Path | None) -> tuple[Built, dict[str, Path]]:
    editorial = load_editorial(obj.settings.config)
    week = Week.containing(day)
    folder = obj.settings.config.parent / editorial.overrides_dir
    overrides = read_overrides(folder, week).merged(cli_overrides)
    with obj.store() as store:
        built = build_issue(store, editorial, week, templates=obj.settings.templates, overrides=overrides)
    files = write_files(built, out_dir or Path("out") / week.start.isoformat())
    return built, files


def _print_picks(built: Built) -> None:
    table = Table("#", "section", "title", "score", "why", show_lines=False, expand=False)
    for section in built.issue.sections:
        for paper in section.papers:
            table.add_row(paper.number, section.name, paper.title, f"{paper.score:.2f}", paper.why)
    # Piped or logged output gets room for the "why" column instead of rich's default 80.
    wide = out if out.is_terminal else Console(highlight=False, width=160, file=out.file)
    wide.print(table)


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.pass_obj
def classify(obj: Context, file: TextIO) -> None:
    """Put papers into sections: reads JSON lines, writes one JSON line per paper.

    Each input line holds arxiv_id, title and abstract; each output line holds arxiv_id,
    section, scores (every section), matched (the phrases that fired), is_llm and kind.

    Example: newsletter classify papers.jsonl > sections.jsonl
    """
    sections = _taxonomy(obj)
    for number, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            title, abstract = str(row["title"]), row.get("abstract")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{file.name}:{number}: not a paper line ({exc})",
                              hint='each line must be {"arxiv_id": …, "title": …, "abstract": …}') from None
        placed = classify_paper(title, abstract, sections)
        kind, _ = paper_kind(title, abstract)
        record = {"arxiv_id": row.get("arxiv_id"), "section": placed.section, "scores": placed.scores,
                  "matched": placed.matched, "is_llm": llm_relevance(title, abstract).is_llm, "kind": kind.value}
        click.echo(json.dumps(record, ensure_ascii=False))


def _taxonomy(obj: Context) -> tuple[Section, ...]:
    path = obj.settings.config
    return section_taxonomy(load_editorial(path)) if path.exists() else DEFAULT_SECTIONS


DEMO_DIR = Path(__file__).parent / "demo"
DEMO_RANGE = (dt.date(2024, 11, 18), dt.date(2024, 12, 12))
DEMO_WEEK = dt.date(2024, 11, 25)


@cli.command()
@click.option("--db", "database_url", default="sqlite:///data/demo.db", show_default=True,
              help="Store for the demo, kept apart from the real one.")
@click.pass_obj
def demo(obj: Context, database_url: str) -> None:
    """Run the main job on the bundled demo data: no network, no API keys.

    Starts a fresh demo store, ingests the recorded Hugging Face lists of 2024-11-20 …
    2024-12-12 and an arXiv RSS document, builds the issue of the week of 2024-11-25 into
    out/demo/, and sends it through the outbox to a few demo subscribers.

    Example: newsletter demo
    """
    outbox = Path("out") / "demo" / "outbox"
    _reset_demo(database_url, outbox)
    obj.settings = obj.settings.model_copy(
        update={"config": DEMO_DIR / "newsletter.toml", "database_url": database_url, "outbox": outbox}
    )
    _ingest_and_report(obj, select_feeds(obj.settings, (), ()), *DEMO_RANGE)
    built, files = _build(obj, DEMO_WEEK, Overrides(), Path("out") / "demo" / DEMO_WEEK.isoformat())
    _print_picks(built)
    out.print(f"issue {built.issue.number} of the demo: open {files['html'].resolve()}")
    with obj.store() as store:
        for email, name in DEMO_READERS:
            add_subscriber(store, email, name=name, source="demo")
        unsubscribe(store, DEMO_READERS[-1][0])  # to show that leavers get nothing
        stored = store.get_issue(built.issue.number)
        assert stored is not None
        with sending(obj.settings, stored, "outbox") as (envelope, opened, token):
            report = send_issue(store, envelope, opened, token)
    out.print(summary(report))
    out.print(f"messages: {(outbox / f'issue-{stored.number}').resolve()}/*.eml")


DEMO_READERS = (
    ("ada@example.org", "Ada"),
    ("grace@example.org", "Grace"),
    ("alan@example.org", "Alan"),
    ("left@example.org", "Left Already"),
)


def _reset_demo(database_url: str, outbox: Path) -> None:
    """The demo starts over each time: its own store file and outbox only."""
    if database_url.startswith("sqlite:///"):
        db = Path(database_url.removeprefix("sqlite:///"))
        for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)
    shutil.rmtree(outbox, ignore_errors=True)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--templates", is_flag=True, help="Also copy the email and web templates, to edit them.")
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
def init(folder: Path, templates: bool, force: bool) -> None:
    """Start a folder to run the newsletter from: newsletter.toml and .env.

    The settings are the project's defaults (the real feeds, the reference issue's texts
    and promos) and a fresh NEWSLETTER_SECRET. Run the other commands from that folder.

    Example: newsletter init ~/newsletter --templates
    """
    for path in init_folder(folder, force=force, templates=templates):
        out.print(f"wrote {path}")
    out.print("next: edit newsletter.toml and .env, then `newsletter ingest`, "
              "`newsletter build --week YYYY-MM-DD` and `newsletter send` (or try `newsletter demo`)")


def select_feeds(settings: Settings, names: Sequence[str], sources: Sequence[str]) -> list[FeedSpec]:
    """The configured feeds (all, or those named) plus ad-hoc `KIND=URL` sources."""
    configured: list[FeedSpec] = []
    if settings.config.exists() or not sources:
        configured = load_editorial(settings.config).feed_specs()
    by_name = {spec.name: spec for spec in configured}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none"
        raise ConfigError(f"no feed named {', '.join(unknown)} in {settings.config} (known: {known})")
    chosen = [by_name[n] for n in names] if names else configured
    specs = chosen + [_adhoc(text) for text in sources]
    if not specs:
        raise ConfigError(f"no feeds configured in {settings.config}", hint="add [[feeds]] entries or pass --source KIND=URL")
    return specs


def _adhoc(text: str) -> FeedSpec:
    kind, sep, url = text.partition("=")
    kinds = ", ".join(k.value for k in SourceKind)
    if not sep or not url:
        raise click.BadParameter(f"{text!r} is not KIND=URL (kinds: {kinds})", param_hint="--source")
    try:
        source_kind = SourceKind(kind.strip())
    except ValueError:
        raise click.BadParameter(f"unknown kind {kind!r} (kinds: {kinds})", param_hint="--source") from None
    location = resolve_location(url.strip(), Path.cwd())
    return FeedSpec(name=f"{source_kind.value}:{url.strip()}", kind=source_kind, url=location)


def feed_line(report: FeedReport) -> str:
    if report.error:
        return f"[red]✗[/] {report.feed}: failed: {report.error}"
    if report.not_modified:
        return f"[green]✓[/] {report.feed}: not modified since the last run"
    return (
        f"[green]✓[/] {report.feed}: fetched {report.fetched}, new {report.new}, "
        f"updated {report.updated}, unchanged {report.unchanged}, skipped {report.skipped}"
    )


@contextmanager
def _feed_progress(total: int) -> Iterator[Callable[[FeedReport], None]]:
    """Print a line per finished feed, under a progress bar when run in a terminal."""

    def show(report: FeedReport, console: Console) -> None:
        console.print(feed_line(report), markup=True)
        for problem in report.problems[:5]:
            console.print(f"    {problem}", markup=False)
        if len(report.problems) > 5:
            console.print(f"    … and {len(report.problems) - 5} more", markup=False)

    if not out.is_terminal:
        yield lambda report: show(report, out)
        return
    columns = (TextColumn("feeds"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=True) as progress:
        task = progress.add_task("feeds", total=total)

        def advance(report: FeedReport) -> None:
            show(report, progress.console)
            progress.advance(task)

        yield advance


from newsletter.cli_send import send, summary  # noqa: E402  (commands register after the group)

cli.add_command(send)

from newsletter.cli_subscribers import subscribers  # noqa: E402

cli.add_command(subscribers)

from newsletter.cli_web import web  # noqa: E402

cli.add_command(web)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: a NewsletterError becomes one line and a hint, exit status 1."""
    try:
        cli.main(args=argv, prog_name="newsletter", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NewsletterError as exc:
        err.print(f"error: {exc}", markup=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
