"""Whole-store copies: a consistent backup while everything runs, and its restore into an
empty store, with the schema revision checked.

SQLite: the online backup API copies every page inside one read transaction, so the copy is
the database as it was at one moment, while the web app, the runner and a send go on
writing (in WAL mode, readers never block the writer). The copy is itself an SQLite store.
PostgreSQL: `pg_dump --format=custom`, one snapshot of the database, and `pg_restore`; both
are PostgreSQL's client tools, needed only for this.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from newsletter.errors import ConfigError, StoreError
from newsletter.private_files import create_private, private_folder
from newsletter.store.engine import alembic_config, connect
from newsletter.store.schema import metadata

SQLITE = b"SQLite format 3\x00"
PG_DUMP = b"PGDMP"
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True, slots=True)
class Restored:
    from_revision: str  # the backup's schema
    rows: int  # rows restored, in every table


def backup(url: str, dest: Path) -> str:
    """A consistent copy of the store at `url` in `dest` (replaced atomically, 0600); the
    copy's schema revision."""
    parsed = _url(url)
    temp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    private_folder(dest.parent)
    try:
        if parsed.get_backend_name() == "sqlite":
            _copy_sqlite(_sqlite_file(parsed, must_exist=True), temp)
            revision = _sqlite_revision(temp)
        else:
            _pg_tool("pg_dump", parsed, "--format=custom", "--no-owner", "--no-privileges",
                     f"--file={temp}")  # fmt: skip
            os.chmod(temp, 0o600)
            revision = _dump_revision(temp)
        os.replace(temp, dest)
    finally:
        temp.unlink(missing_ok=True)
    return revision


def backup_kind(path: Path) -> str:
    """ "sqlite" or "pg_dump", from the file's first bytes; StoreError for anything else."""
    with open(path, "rb") as file:
        head = file.read(len(SQLITE))
    if head.startswith(SQLITE):
        return "sqlite"
    if head.startswith(PG_DUMP):
        return "pg_dump"
    raise StoreError(
        f"{path} is not a backup made by `newsletter backup` (neither SQLite nor pg_dump's format)",
        hint="restore a file `newsletter backup` wrote",
    )


def backup_revision(path: Path) -> str:
    """The schema revision the backup at `path` is at."""
    return _sqlite_revision(path) if backup_kind(path) == "sqlite" else _dump_revision(path)


def check_known(revision: str) -> None:
    """StoreError when `revision` is not a schema this release's migrations know (a backup
    made by a newer release)."""
    script = ScriptDirectory.from_config(alembic_config())
    try:
        found = script.get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise StoreError(
            f"the backup is at schema revision {revision}, which this release does not know "
            f"(it knows up to {script.get_current_head()})",
            hint="restore it with the release that made it, or a newer one",
        )


def restore(url: str, source: Path) -> Restored:
    """The backup at `source` into the empty store at `url`. StoreError if the store holds
    anything, if the backup is of the other kind of database, or of an unknown schema."""
    kind, parsed = backup_kind(source), _url(url)
    backend = parsed.get_backend_name()
    if (kind == "sqlite") != (backend == "sqlite"):
        made, other = ("an SQLite", "a PostgreSQL")[:: 1 if kind == "sqlite" else -1]
        raise StoreError(
            f"{source} is a backup of {made} store; NEWSLETTER_DATABASE_URL names {other} one",
            hint="restore a backup into a store of the same kind",
        )
    revision = backup_revision(source)
    check_known(revision)
    engine = connect(url)
    try:
        found = _leftovers(engine)
        if kind == "sqlite":
            engine.dispose()
            _copy_sqlite(source, _sqlite_file(parsed, must_exist=False))
        else:
            _drop_empty(engine, found)
            _pg_tool("pg_restore", parsed, "--no-owner", "--no-privileges", "--exit-on-error",
                     "--single-transaction", str(source))  # fmt: skip
        rows = count_rows(engine)
    finally:
        engine.dispose()
    return Restored(revision, rows)


def count_rows(engine: Engine) -> int:
    """Rows in every table of the store but the schema's own."""
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != VERSION_TABLE]
        return sum(conn.execute(select(func.count()).select_from(table(n))).scalar_one()
                   for n in names)  # fmt: skip


def _leftovers(engine: Engine) -> list[str]:
    """The tables of an empty store (none, or only ours without a row); StoreError if the
    store holds anything."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        foreign = sorted(set(names) - set(metadata.tables) - {VERSION_TABLE})
        if foreign:
            raise StoreError(
                f"the database holds tables that are not the newsletter's ({', '.join(foreign)})",
                hint="restore into an empty database of its own",
            )
        for name in sorted(set(names) - {VERSION_TABLE}):
            n = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            if n:
                raise StoreError(
                    f"the store is not empty ({name} has {n:,} rows): a restore never "
                    "overwrites data",
                    hint="restore into a new SQLite file or an empty PostgreSQL database "
                    "(NEWSLETTER_DATABASE_URL)",
                )
    return names


def _drop_empty(engine: Engine, names: list[str]) -> None:
    """The empty tables a `db upgrade` made, so that the dump brings its own."""
    if names:
        with engine.begin() as conn:
            for name in names:
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))


def _copy_sqlite(source: Path, dest: Path) -> None:
    """Every page of `source` into `dest` (made 0600), in one step: one consistent moment."""
    create_private(dest)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)  # pages=-1: all at once, inside one read transaction
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot copy {source} to {dest}: {exc}") from exc
    finally:
        src.close()


def _sqlite_revision(path: Path) -> str:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreError(f"{path} holds no newsletter schema: {exc}") from exc
    if row is None:
        raise StoreError(f"{path} holds no newsletter schema (no revision recorded)")
    return str(row[0])


def _dump_revision(path: Path) -> str:
    """The revision recorded in a pg_dump file: pg_restore prints its alembic_version data."""
    done = _run(
        _tool("pg_restore"), "--data-only", f"--table={VERSION_TABLE}", "--file=-", str(path)
    )
    lines = done.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("COPY ") and VERSION_TABLE in line and n + 1 < len(lines):
            return lines[n + 1].strip()
    raise StoreError(f"{path} holds no newsletter schema (no revision recorded)")


def _pg_tool(name: str, url: URL, *args: str) -> None:
    """pg_dump or pg_restore against `url`; the password goes by PGPASSWORD, never argv."""
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    _run(_tool(name), f"--dbname={dsn}", *args, password=url.password)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ConfigError(
            f"a PostgreSQL store is backed up and restored with {name}, which is not installed",
            hint="install PostgreSQL's client tools (Debian: apt-get install postgresql-client), "
            "of the server's major version or newer",
        )
    return found


def _run(*command: str, password: str | None = None) -> str:
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no output")
        raise StoreError(f"{Path(command[0]).name} failed: {first}")
    return done.stdout


def _url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"backups are made of SQLite and PostgreSQL stores, not {parsed.drivername}"
        )
    return parsed


def _sqlite_file(url: URL, *, must_exist: bool) -> Path:
    if url.database in (None, "", ":memory:"):
        raise StoreError("an in-memory store cannot be backed up or restored into")
    path = Path(url.database)
    if must_exist and not path.is_file():
        raise StoreError(f"no store at {path}", hint="check NEWSLETTER_DATABASE_URL")
    return path
