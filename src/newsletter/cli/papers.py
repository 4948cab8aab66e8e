"""`newsletter ingest`, `build` and `classify`: papers in, the week's issue out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.table import Table

from newsletter.cli.base import Bar, Context, edit_options, out, progress
from newsletter.domain.papers import FeedReport, FeedSpec
from newsletter.domain.week import Week
from newsletter.errors import ConfigError, IngestError
from newsletter.issue.edits import Edits
from newsletter.services import build as building
from newsletter.services import ingest as ingesting
from newsletter.services import learn
from newsletter.services.build import Built
from newsletter.services.ingest import Ingested


def _sources(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[FeedSpec]:
    """Each --source KIND=URL as a feed of its own, a typo refused as a bad option."""
    try:
        return [ingesting.adhoc(text) for text in value]
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="First listing date (default: 6 days ago).",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Last listing date (default: today).",
)
@click.option(
    "--feed",
    "feed_names",
    multiple=True,
    metavar="NAME",
    help="Only this configured feed (repeatable).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="KIND=URL",
    callback=_sources,
    help="Add an ad-hoc source (repeatable).",
)
@click.pass_obj
def ingest(
    obj: Context,
    since: dt.datetime | None,
    until: dt.datetime | None,
    feed_names: tuple[str, ...],
    sources: list[FeedSpec],
) -> None:
    """Pull papers from the configured feeds into the paper store.

    Prints one line per feed and exits non-zero only if no feed worked.

    Example: newsletter ingest --since 2024-11-25 --until 2024-12-01 --source rss=https://example.org/feed.xml
    """
    last = until.date() if until else obj.today()
    first = since.date() if since else last - dt.timedelta(days=6)
    if first > last:
        raise click.BadParameter(f"--since {first} is after --until {last}")
    specs = ingesting.feeds(obj.app, feed_names, sources)
    with progress("feeds", len(specs)) as bar:
        done = ingesting.ingest(
            obj.app, specs, since=first, until=last, on_feed=lambda report: show_feed(report, bar)
        )
    ingested(done)


def ingested(done: Ingested) -> None:
    out.print(
        f"{len(done.worked)} of {len(done.feeds)} feeds ingested; {done.papers} papers in {done.store}"
    )
    if not done.worked:
        raise IngestError("no feed could be ingested")


@click.command()
@click.option(
    "--week",
    "week_day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Any date inside the week (weeks run Monday to Sunday).",
)
@click.option(
    "--size",
    type=click.IntRange(1, 100),
    metavar="N",
    help="Papers in the issue (default from config: 12).",
)
@click.option("--include", multiple=True, metavar="ID", help="Force this arXiv id in (repeatable).")
@click.option("--exclude", multiple=True, metavar="ID", help="Keep this arXiv id out (repeatable).")
@edit_options
@click.option(
    "--skip-promo", multiple=True, metavar="NAME", help="Leave this promo block out (repeatable)."
)
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the files (default: out/<monday>).",
)
@click.pass_obj
def build(
    obj: Context,
    week_day: dt.datetime,
    size: int | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    move: tuple[str, ...],
    order: tuple[str, ...],
    note: str | None,
    skip_promo: tuple[str, ...],
    out_dir: Path | None,
) -> None:
    """Build the week's issue from the store and save it as a numbered draft.

    Writes issue.html (CSS inlined), issue.txt, issue.md and issue.json, and prints the
    picks with their section, score and why. The week's file <overrides_dir>/<monday>.toml
    may hold the same edits (include, exclude, move, order, note, size, skip_promos); the
    options here go on top of it.

    Example: newsletter build --week 2024-11-25 --size 6 --exclude 2411.17116 --move "2411.14405 to LLM Reasoning"
    """
    week = Week.containing(week_day.date())
    edits = Edits.typed(
        add=include,
        remove=exclude,
        move=move,
        order=order,
        note=note,
        size=size,
        skip_promos=skip_promo,
    )
    built = building.build(obj.app, week, edits, out=out_dir)
    print_picks(built)
    out.print(f"issue {built.issue.number} (draft): {built.files['html']} (also .txt, .md, .json)")


def print_picks(built: Built) -> None:
    table = Table("#", "section", "title", "score", "why", show_lines=False, expand=False)
    for section in built.issue.sections:
        for paper in section.papers:
            table.add_row(paper.number, section.name, paper.title, f"{paper.score:.2f}", paper.why)
    # Piped or logged output gets room for the "why" column instead of rich's default 80.
    wide = out if out.is_terminal else Console(highlight=False, width=160, file=out.file)
    wide.print(table)


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.pass_obj
def classify(obj: Context, file: TextIO) -> None:
    """Put papers into sections: reads JSON lines, writes one JSON line per paper.

    Each input line holds arxiv_id, title and abstract; each output line holds arxiv_id,
    section, scores (every section), matched (the phrases that fired), is_llm and kind.

    Example: newsletter classify papers.jsonl > sections.jsonl
    """
    classify_one = learn.classifier(obj.app)
    for number, line in enumerate(file, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            title, abstract = str(row["title"]), row.get("abstract")
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{file.name}:{number}: not a paper line ({exc})",
                hint='each line must be {"arxiv_id": …, "title": …, "abstract": …}',
            ) from None
        placed = classify_one(title, abstract)
        record = {
            "arxiv_id": row.get("arxiv_id"),
            "section": placed.section,
            "scores": placed.scores,
            "matched": placed.matched,
            "is_llm": placed.is_llm,
            "kind": placed.kind.value,
        }
        click.echo(json.dumps(record, ensure_ascii=False))


def feed_line(report: FeedReport) -> str:
    if report.error:
        return f"[red]✗[/] {report.feed}: failed: {report.error}"
    if report.not_modified:
        return f"[green]✓[/] {report.feed}: not modified since the last run"
    return (
        f"[green]✓[/] {report.feed}: fetched {report.fetched}, new {report.new}, "
        f"updated {report.updated}, unchanged {report.unchanged}, skipped {report.skipped}"
        + (f", repaired {report.repaired}" if report.repaired else "")
    )


def show_feed(report: FeedReport, bar: Bar) -> None:
    """A line per finished feed (and its first problems), above the bar."""
    bar.console.print(feed_line(report), markup=True)
    for problem in report.problems[:5]:
        bar.console.print(f"    {problem}", markup=False)
    if len(report.problems) > 5:
        bar.console.print(f"    … and {len(report.problems) - 5} more", markup=False)
    bar.advance()
