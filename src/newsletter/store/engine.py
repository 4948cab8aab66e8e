"""Engines and migrations: how the store connects and keeps its schema current."""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from newsletter.errors import StoreError
from newsletter.private_files import create_private

BUSY_TIMEOUT_MS = 10_000  # how long a writer waits for another before giving up
# One advisory lock id per kind of read-then-write, so PostgreSQL serializes only those.
MIGRATION_LOCK = 0x6E65_7701
MERGE_LOCK = 0x6E65_7702


def connect(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder, plain PostgreSQL URLs psycopg."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        create_private(Path(parsed.database))  # 0600, and so its -wal and -shm files
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def migrate(engine: Engine, revision: str = "head") -> str:
    """Bring the schema up to `revision`, keeping the data (Alembic); the revision now."""
    try:
        with engine.begin() as conn:
            write_turn(conn, MIGRATION_LOCK)
            command.upgrade(alembic_config(conn), revision)
            current = MigrationContext.configure(conn).get_current_revision()
        return current or "base"
    except SQLAlchemyError as exc:
        where = safe_url(str(engine.url.render_as_string(hide_password=False)))
        raise StoreError(f"cannot migrate {where}: {type(exc).__name__}: {exc}") from exc


def write_turn(conn: Connection, lock: int) -> None:
    """Make this transaction, from here to its end, the only one of its kind in any process.

    For read-then-write steps that another process may run at the same moment: two ingests
    (or a daily ingest and a weekly catch-up) opening a new store, or merging the same papers.
    Must come first in its transaction.
    """
    if conn.dialect.name == "sqlite":
        # pysqlite starts no transaction before a SELECT or DDL: take the write lock now,
        # waiting up to busy_timeout for another writer
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(lock)})")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        _switch_to_wal(cur)  # readers (web, flows) don't block the writer
    cur.close()


def _switch_to_wal(cur: Any) -> None:
    """WAL is kept in the file, so only a new store switches; SQLite does not wait on the
    busy timeout for this, so when another process holds the new file, wait here."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def alembic_config(conn: Connection | None = None) -> Config:
    """The migrations shipped in the package; over `conn` when one is given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("newsletter") / "migrations"))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg
