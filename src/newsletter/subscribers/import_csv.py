"""Import subscribers from the CSV files people export from anywhere.

The file is read as a stream: its encoding is decided first (UTF-8, with or without a
BOM, else cp1252), its delimiter sniffed, its email and name columns found by header.
Valid rows are merged in transactions of `batch_size`; each bad row goes to a rejects
CSV with its reason and never stops the import. Rows committed before a crash are simply
"unchanged" when the same file is imported again.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from newsletter.domain.events import Via
from newsletter.domain.subscriber import (
    GONE,
    Changes,
    Status,
    Subscriber,
    SubscriberData,
    clean_name,
    normalise_email,
    with_status,
)
from newsletter.errors import SubscriberError
from newsletter.subscribers.cells import restore
from newsletter.subscribers.csv_rows import Lines, Read, Rejects, cells
from newsletter.subscribers.csv_rows import rows as read_rows

__all__ = [
    "ImportProgress",
    "ImportReport",
    "ImportTarget",
    "find_columns",
    "import_csv",
    "sniff_delimiter",
]

BATCH_SIZE = 2000
CHUNK = 1 << 16
# Headers are compared with everything but letters and digits removed: "E-Mail Address" is "emailaddress".
EMAIL_HEADERS = ("email", "emailaddress", "mail", "mailaddress", "emailaddr", "emails", "courriel")
NAME_HEADERS = ("name", "fullname", "displayname", "subscribername", "contactname")
FIRST_HEADERS = ("firstname", "first", "givenname", "fname", "forename")
LAST_HEADERS = ("lastname", "last", "surname", "familyname", "lname")


class ImportTarget(Protocol):
    """What an import asks of the store: one transaction per batch that loads the stored
    subscribers of its addresses, lets the plan decide, and writes what it decided."""

    def clock(self) -> dt.datetime: ...

    def merge_subscribers(
        self,
        keys: Collection[str],
        plan: Callable[[Mapping[str, Subscriber]], Changes],
        *,
        via: Via = ...,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class ImportProgress:
    rows: int
    bytes_read: int
    total_bytes: int


@dataclass(slots=True)
class ImportReport:
    """What an import did, row by row of the file (blank lines are not rows)."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    kept_gone: int = 0  # stored as unsubscribed/bounced/complained and left so
    rejects_path: Path | None = None

    @property
    def rows(self) -> int:
        """Rows merged so far (rejected ones aside)."""
        return self.imported + self.updated + self.unchanged

    @property
    def summary(self) -> str:
        line = (
            f"imported {self.imported}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
        )
        if self.kept_gone:
            line += f"; {self.kept_gone} left unsubscribed/bounced/complained (--resubscribe re-activates)"
        if self.rejected and self.rejects_path:
            line += f"; rejects in {self.rejects_path}"
        return line


class RowRejected(Exception):
    """One row cannot be imported; the message is its reason."""


@dataclass(slots=True)
class Incoming:
    """One valid row: a normalised address, its name and its other columns."""

    email: str
    name: str | None
    attributes: dict[str, str]
    repeat: bool = False  # the address came earlier in this file: only fill gaps


@dataclass(frozen=True, slots=True)
class Columns:
    """Where the email, name and other values are in each row."""

    header: tuple[str, ...]
    email: int
    name: int | None = None
    first: int | None = None
    last: int | None = None

    def read(self, row: Sequence[str]) -> Incoming:
        width = len(self.header)
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            raise RowRejected(f"{len(row)} fields where the header has {width}")
        cells = [restore(cell) for cell in row[:width]] + [""] * (width - len(row))
        if not cells[self.email].strip():
            raise RowRejected("missing email")
        try:
            email = normalise_email(cells[self.email])
        except SubscriberError as exc:
            raise RowRejected(str(exc)) from None
        return Incoming(email, self._name(cells), self._attributes(cells))

    def _name(self, cells: list[str]) -> str | None:
        if self.name is not None and cells[self.name].strip():
            return clean_name(cells[self.name])
        parts = [cells[i] for i in (self.first, self.last) if i is not None]
        return clean_name(" ".join(parts))

    def _attributes(self, cells: list[str]) -> dict[str, str]:
        used = {self.email, self.name, self.first, self.last}
        return {
            (self.header[i].strip() or f"column {i + 1}"): value.strip()
            for i, value in enumerate(cells)
            if i not in used and value.strip()
        }


def find_columns(header: Sequence[str]) -> Columns:
    """The email and name columns by their headers; SubscriberError naming the headers if no email."""
    keys = [re.sub(r"[^0-9a-z]", "", cell.lower()) for cell in header]

    def first_of(names: Sequence[str]) -> int | None:
        return next((i for i, key in enumerate(keys) if key in names), None)

    email = first_of(EMAIL_HEADERS)
    if email is None:  # "Subscriber Email", "Email (work)"…
        email = next((i for i, key in enumerate(keys) if "email" in key), None)
    if email is None:
        found = ", ".join(repr(cell) for cell in header) or "none"
        raise SubscriberError(
            f"no email column in the header (found: {found})",
            email="",
            hint="the first row must name the columns, one of them email (or e-mail, email address, mail)",
        )
    return Columns(
        tuple(header),
        email,
        first_of(NAME_HEADERS),
        first_of(FIRST_HEADERS),
        first_of(LAST_HEADERS),
    )


def detect_encoding(path: Path) -> str:
    """How to read the whole file: UTF-16 by its BOM, UTF-8 if every byte decodes, else cp1252."""
    with path.open("rb") as file:
        start = file.read(2)
    if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):  # Excel's "Unicode text"
        return "utf-16"
    if _decodes(path, "utf-8"):
        return "utf-8-sig"  # drops a BOM if there is one
    return "cp1252" if _decodes(path, "cp1252") else "latin-1"  # latin-1 decodes any byte


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as file:
        try:
            while chunk := file.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; tab and |, by csv.Sniffer on whole lines; comma if unsure."""
    if "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut-off last line misleads the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def import_csv(
    store: ImportTarget,
    path: Path,
    *,
    source: str | None = None,
    resubscribe: bool = False,
    rejects_path: Path | None = None,
    batch_size: int = BATCH_SIZE,
    now: dt.datetime | None = None,
    on_batch: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """Merge the subscribers in the CSV at `path` into the store; see the module docstring.

    `on_batch` is called after each committed transaction (progress bars, tests).
    """
    now = store.clock() if now is None else now
    rejects_path = rejects_path or path.with_name(f"{path.stem}.rejects.csv")
    if rejects_path.resolve() == path.resolve():  # opening it for writing would empty the input
        raise SubscriberError(f"the rejects file cannot be the input file {path}", email="")
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as text:
        delimiter = sniff_delimiter(text.read(CHUNK))
    merge = _Merger(store, now=now, source=source or f"import:{path.name}", resubscribe=resubscribe)
    report, total = ImportReport(), path.stat().st_size
    with path.open("rb") as raw, _text(raw, encoding) as text:
        lines = Lines(text, delimiter)
        reader = csv.reader(lines, delimiter=delimiter)
        columns = find_columns(_header(read_rows(reader, lines), path))
        with Rejects(rejects_path, columns.header) as rejects:
            for batch in _batches(read_rows(reader, lines), lines, columns, rejects, batch_size):
                merge(batch, report)
                if on_batch:  # raw.tell(): the bytes handed to the decoder so far
                    on_batch(ImportProgress(report.rows + rejects.count, raw.tell(), total))
        report.rejected = rejects.count
    report.rejects_path = rejects_path if report.rejected else None
    return report


def _header(rows: Iterator[Read], path: Path) -> list[str]:
    for read in rows:
        if read.error is not None or read.row is None:
            raise SubscriberError(f"{path}: cannot read the header row: {read.error}", email="")
        return read.row
    raise SubscriberError(f"{path} is empty", email="", hint="export the list with a header row")


def _batches(
    rows: Iterator[Read], lines: Lines, columns: Columns, rejects: Rejects, size: int
) -> Iterator[list[Incoming]]:
    """Valid rows in lists of `size`; rejected ones go to `rejects` on the way."""
    seen: set[str] = set()  # the keys only, a few MB for 100,000 rows: needed to spot repeats
    batch: list[Incoming] = []
    for read in rows:
        if _run_on(read, columns, lines.delimiter):
            number, first = read.taken[0]
            why = "a quote opened here is never closed; the lines after it are read again"
            rejects.write(cells(first, lines.delimiter), why, number)
            lines.read_again(read.taken[1:])
            continue
        if read.row is None:
            rejects.write([], f"unreadable CSV: {read.error}", read.line)
            continue
        try:
            item = columns.read(read.row)
        except RowRejected as exc:
            rejects.write(read.row, str(exc), read.line)
            continue
        key = item.email.lower()
        item.repeat = key in seen
        batch.append(item)
        seen.add(key)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _run_on(read: Read, columns: Columns, delimiter: str) -> bool:
    """Whether a row that took several lines is an unterminated quote swallowing the rows
    after it, rather than a quoted field with line breaks (a note): it is, when the row is
    broken (cut off, unreadable, invalid, or a line break in its email or name) and one of
    the lines it swallowed reads as a valid row of its own."""
    if len(read.taken) < 2:
        return False
    if not (read.cut or read.row is None or _broken(read.row, columns)):
        return False
    return any(_valid(cells(line, delimiter), columns) for _, line in read.taken[1:])


def _broken(row: list[str], columns: Columns) -> bool:
    named = [i for i in (columns.email, columns.name, columns.first, columns.last) if i is not None]
    if any(i < len(row) and ("\n" in row[i] or "\r" in row[i]) for i in named):
        return True
    return not _valid(row, columns)


def _valid(row: list[str], columns: Columns) -> bool:
    try:
        columns.read(row)
    except RowRejected:
        return False
    return True


class _Merger:
    """Applies one batch in one transaction with the import's rules, and counts."""

    def __init__(
        self, store: ImportTarget, *, now: dt.datetime, source: str, resubscribe: bool
    ) -> None:
        self.store, self.now, self.source, self.resubscribe = store, now, source, resubscribe

    def __call__(self, batch: list[Incoming], report: ImportReport) -> None:
        counts: Counter[str] = Counter()

        def plan(found: Mapping[str, Subscriber]) -> Changes:
            counts.clear()  # the plan runs once per transaction; count only what is written
            state: dict[str, SubscriberData] = dict(found)
            for item in batch:
                old = state.get(item.email.lower())
                new = self.merged(old, item)
                counts[_outcome(old, new)] += 1
                counts["kept_gone"] += new.status in GONE
                state[item.email.lower()] = new
            inserts = [s for s in state.values() if not isinstance(s, Subscriber)]
            updates = [s for k, s in state.items() if isinstance(s, Subscriber) and s != found[k]]
            return inserts, updates

        self.store.merge_subscribers({item.email.lower() for item in batch}, plan)
        for field, n in counts.items():
            setattr(report, field, getattr(report, field) + n)

    def merged(self, old: SubscriberData | None, item: Incoming) -> SubscriberData:
        """The subscriber after this row: the first row of an address sets, repeats fill gaps."""
        now = self.now
        if old is None:
            return SubscriberData(
                email=item.email,
                name=item.name,
                status=Status.ACTIVE,
                source=self.source,
                attributes=item.attributes,
                created_at=now,
                updated_at=now,
                confirmed_at=now,
            )
        # First-row-wins keeps a rerun idempotent: a later repeat never undoes the first row.
        name = old.name if item.repeat and old.name else item.name or old.name
        attributes = (
            {**item.attributes, **old.attributes}
            if item.repeat
            else {**old.attributes, **item.attributes}
        )
        new = dataclasses.replace(old, name=name, attributes=attributes)
        if old.status is Status.PENDING or (self.resubscribe and old.status in GONE):
            new = with_status(new, Status.ACTIVE, now)
        return dataclasses.replace(new, updated_at=now) if new != old else old


def _outcome(old: SubscriberData | None, new: SubscriberData) -> str:
    if old is None:
        return "imported"
    return "unchanged" if new == old else "updated"


@contextmanager
def _text(raw: io.BufferedReader, encoding: str) -> Iterator[io.TextIOWrapper]:
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        yield text
    finally:
        text.detach()  # the caller owns and closes `raw`
