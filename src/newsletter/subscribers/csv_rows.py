"""Reading a CSV row by row for the import: each row with the lines it took (for its line
number, and to read them again after an unterminated quote), and the rejects file.

csv.reader alone lets a quote that is opened and never closed swallow every row after it
into one field, up to the end of the file or the field size limit; `Lines` feeds it the
file's lines one by one, so that import_csv.py can tell such a row from a quoted note with
line breaks and give the swallowed lines back.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from newsletter.private_files import open_private
from newsletter.subscribers.cells import neutralise

__all__ = ["Lines", "Read", "Rejects", "RunOn", "cells", "rows"]


class RunOn(Exception):
    """A row has taken more lines than one quoted field would."""


class Lines:
    """The text's lines for the csv reader, numbered; the lines of a row cut short by an
    unterminated quote can be given to it again."""

    MAX_SPAN = 100  # lines one row may take: a quoted note with line breaks, not a file

    def __init__(self, text: IO[str], delimiter: str) -> None:
        self.text, self.delimiter = text, delimiter
        self.number = 0
        self.again: deque[tuple[int, str]] = deque()
        self.taken: list[tuple[int, str]] = []
        self.ended = False

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        taken = self.taken
        if self.again:
            number, line = self.again.popleft()
        else:
            line = self.text.readline()
            if not line:
                self.ended = True
                raise StopIteration
            self.number = number = self.number + 1
        taken.append((number, line))
        if len(taken) > self.MAX_SPAN:
            raise RunOn(f"a row longer than {self.MAX_SPAN} lines")
        return line

    def start_row(self) -> None:
        self.taken, self.ended = [], False  # a new list: the last row's stays with its Read

    def read_again(self, taken: Sequence[tuple[int, str]]) -> None:
        self.again.extendleft(reversed(taken))


@dataclass(slots=True)
class Read:
    """What the reader made of one row: its cells, or why it could not."""

    row: list[str] | None
    taken: list[tuple[int, str]]  # (line number, line) of each line it took
    error: str | None = None
    cut: bool = False  # the file or the reader ended it inside a quoted field

    @property
    def line(self) -> int:
        return self.taken[0][0] if self.taken else 0


def rows(reader: Iterator[list[str]], lines: Lines) -> Iterator[Read]:
    """The non-blank rows, each with the lines it took; a row the csv module cannot parse
    comes with its error instead."""
    while True:
        lines.start_row()
        try:
            row = next(reader)
        except StopIteration:
            return
        except (csv.Error, RunOn) as exc:  # e.g. a field over the size limit
            yield Read(None, lines.taken, str(exc), cut=True)
            continue
        if any(cell.strip() for cell in row):
            yield Read(row, lines.taken, cut=lines.ended and len(lines.taken) > 1)


def cells(line: str, delimiter: str) -> list[str]:
    """One line's cells, read on their own (an unterminated quote taken as text)."""
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return [line.rstrip("\r\n")]


class Rejects:
    """The rejects CSV: each bad row as it was, its line in the file and its reason; created
    at the first one. Cells a spreadsheet would run as formulas are neutralised, as in an
    export: the file is opened to fix the rows, and they are a stranger's text."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path, self.header, self.count = path, list(header), 0
        self._file: IO[str] | None = None

    def write(self, row: Sequence[str], reason: str, line: int) -> None:
        if self._file is None:
            self._file = open_private(self.path)  # addresses: 0600
            csv.writer(self._file).writerow(
                [neutralise(h) for h in [*self.header, "line", "reason"]]
            )
        # Short rows are padded so the reason lands in its column; long ones keep every field.
        padding = [""] * (len(self.header) - len(row))
        values = [*row, *padding, str(line), reason]
        csv.writer(self._file).writerow([neutralise(value) for value in values])
        self.count += 1

    def __enter__(self) -> Rejects:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
