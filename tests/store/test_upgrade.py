"""Upgrades lose nothing: a store made by each earlier release (tests/fixtures/stores/
release-*.sqlite.gz, how each was made beside it) is upgraded by `newsletter db upgrade`,
and every row of every table is still there with the same values; then its half-done send
is finished by `newsletter send` with nobody mailed twice, and the report reads it.

Every migration gets this test: a new release fixture is one more file; a migration that
drops or changes old data must say so in STATED, with what the upgraded row shows instead.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import FIXTURES

RELEASES = sorted((FIXTURES / "stores").glob("release-*.sqlite.gz"))
Row = dict[str, Any]

# (table, column) a migration takes away from an older store → why, and what the upgraded row
# shows instead. Nothing else may go.
STATED: dict[tuple[str, str], tuple[str, Callable[[Row], bool]]] = {
    ("models", "blob"): (
        "a pickled model is never unpickled (a pickle can run code): the migration that stores "
        "models as JSON drops its bytes unread, keeps the row and records why in `refused`; "
        "the next build trains a new version",
        lambda row: bool(row.get("refused")),
    ),
}


def test_there_is_a_release_fixture() -> None:
    assert RELEASES, "no tests/fixtures/stores/release-*.sqlite.gz"


@pytest.fixture(params=RELEASES, ids=lambda p: p.name.removesuffix(".sqlite.gz"))
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    path.write_bytes(gzip.decompress(request.param.read_bytes()))
    return path


def newsletter(cwd: Path, store: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "newsletter.cli", *args],
        cwd=cwd,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(cwd),
            "NEWSLETTER_DATABASE_URL": f"sqlite:///{store}",
            "NEWSLETTER_OUTBOX": str(cwd / "outbox"),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def rows(path: Path) -> dict[str, dict[tuple[Any, ...], Row]]:
    """Every row of every table but the schema's own, by its primary key."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        found = {}
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            if name in ("alembic_version", "sqlite_sequence"):
                continue
            keys = [c["name"] for c in db.execute(f'PRAGMA table_info("{name}")') if c["pk"]]
            found[name] = {
                tuple(row[k] for k in keys): dict(row)
                for row in db.execute(f'SELECT * FROM "{name}"')
            }
        return found
    finally:
        db.close()


def test_an_older_store_upgrades_with_every_row_intact(old_store: Path, tmp_path: Path) -> None:
    before = rows(old_store)
    assert newsletter(tmp_path, old_store, "db", "upgrade").strip().endswith(_head())
    after = rows(old_store)
    for table, old in before.items():
        assert table in after, f"the upgrade dropped the table {table}"
        assert len(after[table]) == len(old), (
            f"{table}: {len(old)} rows before, {len(after[table])} after"
        )
        for key, row in old.items():
            assert key in after[table], f"{table}: row {key} is gone"
            new = after[table][key]
            for column, value in row.items():
                if column in new:
                    assert new[column] == value, f"{table} {key}: {column} changed"
                else:
                    stated = STATED.get((table, column))
                    assert stated, (
                        f"the upgrade dropped {table}.{column}: keep it, or say why in STATED"
                    )
                    assert stated[1](new), f"{table} {key} lost {column} without {stated[0]!r}"


def test_an_older_stores_half_done_send_finishes_with_nobody_mailed_twice(
    old_store: Path, tmp_path: Path
) -> None:
    """The send the older release left half-done (sent, in flight in a pending batch, queued)
    is finished by this release's `newsletter send`: the batch a crash left pending is settled,
    and nobody already sent is mailed again."""
    db = sqlite3.connect(old_store)
    (issue,) = [n for (n,) in db.execute("SELECT number FROM issues WHERE status = 'sending'")]
    sent_before = _ids(db, issue, "sent")
    left = _ids(db, issue, "queued") | _ids(db, issue, "in_flight")
    assert sent_before and left, "the fixture's send is not half-done"
    db.close()
    output = newsletter(tmp_path, old_store, "send", "--issue", str(issue), "--backend", "outbox")
    assert "requeued from an interrupted send" in output, output
    mailed = {int(p.stem) for p in (tmp_path / "outbox" / f"issue-{issue}").glob("*.eml")}
    db = sqlite3.connect(old_store)
    assert not mailed & sent_before  # nobody twice
    assert _ids(db, issue, "sent") == sent_before | mailed
    assert mailed <= left and not (_ids(db, issue, "queued") | _ids(db, issue, "in_flight"))
    status = db.execute("SELECT status FROM issues WHERE number = ?", (issue,)).fetchone()[0]
    assert status == "sent"
    db.close()
    report = json.loads(newsletter(tmp_path, old_store, "report", "--issue", str(issue), "--json"))
    assert report["sent"] == len(sent_before | mailed)


def _ids(db: sqlite3.Connection, issue: int, status: str) -> set[int]:
    query = "SELECT subscriber_id FROM deliveries WHERE issue_number = ? AND status = ?"
    return {n for (n,) in db.execute(query, (issue, status))}


def _head() -> str:
    from tests.support.stores import HEAD

    return HEAD
