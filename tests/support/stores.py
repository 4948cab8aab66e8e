"""Real stores for tests: an SQLite file always, PostgreSQL when CI provides one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from newsletter.app import App
from newsletter.config import Settings
from newsletter.store import Store

POSTGRES_URL = os.environ.get("NEWSLETTER_TEST_POSTGRES_URL", "")

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgres",
        id="postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="NEWSLETTER_TEST_POSTGRES_URL not set"),
        ],
    ),
]


def empty_postgres(url: str) -> None:
    """Drop everything in the public schema so each test starts from no schema at all."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def store_url(backend: str, tmp_path: Path) -> str:
    if backend == "postgres":
        empty_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=BACKENDS)
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, tmp_path)


def migrated(url: str) -> Store:
    """A store with its schema made (opening one changes nothing: migrating is a step)."""
    store = Store(url)
    store.migrate()
    return store


def app_with(store: Store, **settings: object) -> App:
    """The services' App over `store` (held open, left to the test to close), with settings
    that read no .env: what a shell would hand the services."""
    values = {"database_url": store.url, **settings}
    return App(Settings(_env_file=None, **values), store=store)  # type: ignore[arg-type]


@pytest.fixture
def any_store(any_store_url: str) -> Iterator[Store]:
    with migrated(any_store_url) as store:
        yield store


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite store with the bundled demo feeds ingested through the real pipeline, once
    per session: copy it (`demo_copy`) before writing to it."""
    from newsletter.config import load_editor_config
    from newsletter.demo import DEMO_DIR, DEMO_RANGE
    from newsletter.feeds.fetch import Fetcher
    from newsletter.feeds.ingest import ingest

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with migrated(f"sqlite:///{path}") as store:
        specs = load_editor_config(DEMO_DIR / "newsletter.toml").feed_specs()
        ingest(specs, store, since=DEMO_RANGE[0], until=DEMO_RANGE[1], fetcher=Fetcher())
    return path


def demo_copy(demo_db: Path, folder: Path) -> str:
    """A copy of the demo store in `folder`, migrated; its URL."""
    copy = folder / "store.db"
    copy.write_bytes(demo_db.read_bytes())
    url = f"sqlite:///{copy}"
    migrated(url).close()
    return url


# The newest schema revision: the number of the last migration file.
HEAD = max(
    p.name.split("_")[0]
    for p in (Path(__file__).parents[2] / "src" / "newsletter" / "migrations" / "versions").glob(
        "0*.py"
    )
)
