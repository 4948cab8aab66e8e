"""Engines and migrations: how the store connects and keeps its schema current."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from newsletter.errors import StoreError


def connect(url: str) -> Engine:
    """An engine for `url`; SQLite files get their folder, plain PostgreSQL URLs psycopg."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver we ship
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`, keeping the data (Alembic)."""
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
    except SQLAlchemyError as exc:
        where = safe_url(str(engine.url.render_as_string(hide_password=False)))
        raise StoreError(f"cannot migrate {where}: {type(exc).__name__}: {exc}") from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (web, flows) don't block the writer
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("newsletter") / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg
