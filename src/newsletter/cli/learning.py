"""`newsletter train` and `newsletter learn`: the models that pick and place papers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from newsletter.cli.base import Context, out
from newsletter.services import learn as learning
from newsletter.services.learn import Learned


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
@click.pass_obj
def train(obj: Context, as_json: bool) -> None:
    """Train the section classifier and the editor's correction on everything known; store them.

    Learns from the editor's decisions in the store (sent issues, approval edits, issues
    imported with `newsletter learn`) and the labels shipped with the package, never from
    the test week 2024-12-02. Prints what it learned from and, week by week, how many
    section labels a model trained without that week gets right.

    Example: newsletter train
    """
    model = learning.train(obj.app)
    scores = model.scores
    report = {
        "version": model.version,
        "learned_from": model.counts,
        "sections_left_one_week_out": {s.week.isoformat(): [s.correct, s.placed] for s in scores},
    }
    if as_json:
        click.echo(json.dumps(report))
        return
    out.print(f"model {model.label} stored")
    for s in scores:
        out.print(
            f"  week of {s.week}: {s.correct}/{s.placed} sections right by a model trained without it"
        )


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--week",
    "week_day",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="The issue's week (default: its papers' week).",
)
@click.pass_obj
def learn(obj: Context, files: tuple[Path, ...], week_day: dt.datetime | None) -> None:
    """Learn from issues the editor published before: text, Markdown or HTML as published.

    Each issue's papers ("1.1. Title" under "1. Section") are matched to stored papers by
    arXiv id or title, and recorded with their sections; the week's other candidates count as
    left out. Ingest the issue's week first. Then the models retrain.

    Example: newsletter learn issue_2024-11-25.txt issue_2025-01-20.html
    """
    taught = learning.learn_from_files(
        obj.app, files, week=week_day.date() if week_day else None, on_file=_learned
    )
    out.print(f"model {taught.model} stored")


def _learned(path: Path, found: Learned) -> None:
    assert found.week is not None  # a file with no stored paper is an error before this
    out.print(
        f"{path.name}: week of {found.week.start}, {len(found.matched)} papers with their sections, "
        f"{found.left_out} candidates left out"
    )
    for pick in found.unmatched:
        out.print(f"  not in the store: {pick.number} {pick.title}", markup=False)
