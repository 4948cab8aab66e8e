"""`newsletter train` and `newsletter learn`: the models that pick and place papers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from newsletter.cli.base import Context, out
from newsletter.config import load_editor_config
from newsletter.errors import ConfigError
from newsletter.selection.published import read_published
from newsletter.selection.rules import Rules, section_taxonomy
from newsletter.selection.training import (
    check_sections,
    evaluate,
    examples,
    learn_published,
    train_and_save,
)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of lines.")
@click.pass_obj
def train(obj: Context, as_json: bool) -> None:
    """Train the section and pick models on everything known, and store them as a new version.

    Learns from the editor's decisions in the store (sent issues, approval edits, issues
    imported with `newsletter learn`) and the labels shipped with the package, never from
    the test week 2024-12-02. Prints what it learned from and, week by week, how many
    section labels a model trained without that week gets right.

    Example: newsletter train
    """
    sections = section_taxonomy(load_editor_config(obj.settings.config))
    with obj.store() as store:
        found = examples(store, sections)
        scores = evaluate(found, sections)
        model = train_and_save(store, sections)
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
    editor = load_editor_config(obj.settings.config)
    sections = section_taxonomy(editor)
    texts = {path: _text(path) for path in files}
    for path, text in texts.items():  # every file checked before any is recorded
        try:
            check_sections(read_published(text), sections)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}", hint=exc.hint) from None
    with obj.store() as store:
        for path, text in texts.items():
            found = learn_published(
                store,
                Rules.of(editor, sections),
                text,
                week=week_day.date() if week_day else None,
            )
            if found.week is None:
                raise ConfigError(
                    f"{path}: none of its {len(found.unmatched)} papers is in the store",
                    hint="ingest the issue's week first (newsletter ingest --since … --until …)",
                )
            out.print(
                f"{path.name}: week of {found.week.start}, {len(found.matched)} papers with their sections, "
                f"{found.left_out} candidates left out"
            )
            for pick in found.unmatched:
                out.print(f"  not in the store: {pick.number} {pick.title}", markup=False)
        model = train_and_save(store, sections)
    out.print(f"model {model.label} stored")


def _text(path: Path) -> str:
    """The file as UTF-8 text (what every platform exports), or a one-line error saying where."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
            hint="save the issue as UTF-8 (in most editors: Save As, encoding UTF-8) and run again",
        ) from None
