"""What every `newsletter` command shares: the consoles, the context built once per run (the
App the services take), and the one progress bar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from newsletter.app import App
from newsletter.config import Settings, load_settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Context:
    """What every command needs, built once from the environment and the options: the App
    for the services. A command that uses the store brings its schema up to date first (the
    explicit migration step; `newsletter db upgrade` does only that)."""

    def __init__(self, config: Path | None, today: Callable[[], dt.date] = dt.date.today) -> None:
        overrides: dict[str, Any] = {"config": config} if config else {}
        self.settings: Settings = load_settings(**overrides)
        self.app = App(self.settings, upgrade=True)
        self.today = today


class Bar:
    """A progress bar under the command's output; silent when the output is not a terminal."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress, self._task = progress, task
        self.console = progress.console if progress else out  # prints above the bar

    def advance(self, steps: float = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def show(self, completed: float, note: str = "") -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=completed, note=note)


@contextmanager
def progress(label: str, total: float | None, *, in_bytes: bool = False) -> Iterator[Bar]:
    """A bar (transient: gone when done) when run in a terminal; else lines only."""
    if not out.is_terminal:
        yield Bar()
        return
    counted: ProgressColumn = DownloadColumn() if in_bytes else MofNCompleteColumn()
    columns = (
        TextColumn(label),
        BarColumn(),
        counted,
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=True) as shown:
        yield Bar(shown, shown.add_task(label, total=total, note=""))


def edit_options(command: Callable[..., None]) -> Callable[..., None]:
    """--move, --order and --note: the editor's edits `build` and `review` both take (read
    by issue/edits.Edits, as the review page's and the dashboard's are)."""
    move = click.option("--move", multiple=True, metavar='"ID to SECTION"',
                        help="Put this paper (or candidate) in that section (repeatable).")  # fmt: skip
    order = click.option("--order", multiple=True, metavar='"SECTION: ID, ID"',
                         help="These papers first in that section, in this order (repeatable).")  # fmt: skip
    note = click.option("--note", metavar="TEXT", help="The editor's note, shown under the intro.")
    return move(order(note(command)))
