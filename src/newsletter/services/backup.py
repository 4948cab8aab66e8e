"""The store's data kept: a consistent backup while everything runs, and its restore into an
empty store, brought up to this release's schema."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from newsletter.app import App
from newsletter.errors import ConfigError
from newsletter.store import backup as copies
from newsletter.store.engine import safe_url

__all__ = ["Backup", "Restored", "backup", "restore"]


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    store: str  # where from, password hidden
    revision: str  # the copy's schema
    size: int  # bytes
    seconds: float


@dataclass(frozen=True, slots=True)
class Restored:
    path: Path
    store: str  # where to, password hidden
    from_revision: str  # the backup's schema
    revision: str  # the store's schema now
    rows: int


def backup(app: App, path: Path, *, replace: bool = False) -> Backup:
    """A consistent copy of the store at `path`; ConfigError if a file is there (unless
    `replace`): one backup never overwrites another by accident."""
    if path.exists() and not replace:
        raise ConfigError(f"{path} is there already", hint="choose another name, or --force")
    started = time.monotonic()
    revision = copies.backup(app.settings.database_url, path)
    return Backup(path, app.where, revision, path.stat().st_size, time.monotonic() - started)


def restore(app: App, path: Path) -> Restored:
    """The backup at `path` into the empty store NEWSLETTER_DATABASE_URL names, its schema
    then upgraded: a send it was taken in the middle of is finished by the next send."""
    url = app.settings.database_url
    done = copies.restore(url, path)
    revision = app.migrate()
    return Restored(path, safe_url(url), done.from_revision, revision, done.rows)
