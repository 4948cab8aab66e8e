"""Backups that restore: `newsletter backup` copies the store while a send is on the wire, the
machine is then lost (the sender killed, the store gone), `newsletter restore` puts the copy
into an empty store, and `newsletter send` finishes the send with every reader mailed exactly
once (counted at the SendGrid test server). On SQLite (the online backup API) and PostgreSQL
(pg_dump); a non-empty store, a newer release's backup and the other kind of file are refused."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from newsletter.domain.delivery import BatchStatus, DeliveryStatus
from newsletter.store import Store
from tests.support.deliveries import add_issue, add_people
from tests.support.sendgrid_server import API_KEY, MAIL_SEND, Fault, SendGridServer
from tests.support.stores import BACKENDS, empty_postgres, migrated, store_url

READERS = 300
BATCH = 50


def newsletter(url: str, *args: str, sendgrid: str = "", check: bool = True) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "newsletter.cli", *args],
        env=_env(url, sendgrid),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_backup_taken_mid_send_restores_and_the_send_finishes_once(
    backend: str, tmp_path: Path
) -> None:
    url = store_url(backend, tmp_path)
    with migrated(url) as store:
        add_issue(store)
        emails = add_people(store, READERS)
    with SendGridServer(validate="sample", keep_bodies=False) as server:
        server.inject(Fault(), times=2)  # two batches answered
        server.inject(Fault(delay=120), times=2)  # two more taken, their answers held: in flight
        sender = subprocess.Popen(
            [sys.executable, "-m", "newsletter.cli", "send", "--issue", "1"],
            env=_env(url, server.url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with Store(url) as store:
                _wait(lambda: server.requests.get(MAIL_SEND, 0) == 4 and _sent(store) == 100)
                assert len(store.pending_batches(1)) == 2  # the send is on the wire
            copy = tmp_path / "mid-send.backup"
            assert "backed up" in newsletter(url, "backup", str(copy))
            assert sender.poll() is None  # taken while the send went on
        finally:
            sender.kill()  # the machine is lost
            sender.wait()
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'restored.db'}"
        else:
            empty_postgres(url)
        assert "restored" in newsletter(url, "restore", str(copy))
        with Store(url) as restored:
            assert restored.delivery_counts(1) == {
                DeliveryStatus.SENT: 100,
                DeliveryStatus.IN_FLIGHT: 100,
                DeliveryStatus.QUEUED: 100,
            }
            assert {b.status for b in restored.pending_batches(1)} == {BatchStatus.PENDING}
        finished = newsletter(url, "send", "--issue", "1", sendgrid=server.url)
        assert "100 requeued from an interrupted send" in finished, finished
        delivered = Counter(address for address, _, _ in server.delivered())
        assert delivered == Counter(dict.fromkeys(emails, 1))  # everyone, once
        assert len(server.cancelled_batches()) == 2  # the two held batches, taken back
    with Store(url) as restored:
        assert restored.delivery_counts(1) == {DeliveryStatus.SENT: READERS}


def test_a_restore_refuses_a_store_with_data_a_newer_schema_and_the_other_kind(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with migrated(url) as store:
        add_issue(store)
    copy = tmp_path / "copy.db"
    newsletter(url, "backup", str(copy))
    refused = newsletter(url, "restore", str(copy), check=False)
    # a built issue has its first version too (issue_revisions, listed first)
    assert "error: the store is not empty (issue_revisions has 1 rows)" in refused
    assert "error: " in newsletter(url, "backup", str(copy), check=False)  # no overwrite
    newer = tmp_path / "newer.db"
    newer.write_bytes(copy.read_bytes())
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    refused = newsletter(empty, "restore", str(newer), check=False)
    assert (
        "error: the backup is at schema revision 9999, which this release does not know" in refused
    )
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    refused = newsletter(empty, "restore", str(not_a_backup), check=False)
    assert "is not a backup made by `newsletter backup`" in refused
    assert not (tmp_path / "empty.db").exists() or _tables(tmp_path / "empty.db") <= {
        "alembic_version"
    }


def test_a_postgresql_backup_without_pg_dump_says_so_in_one_line(tmp_path: Path) -> None:
    """Without PostgreSQL's client tools on PATH: one line naming pg_dump, and a hint."""
    env = {**_env("postgresql://u:p@127.0.0.1:1/db", ""), "PATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "newsletter.cli", "backup", str(tmp_path / "x.dump")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == (
        "error: a PostgreSQL store is backed up and restored with pg_dump, which is not installed"
    )
    assert lines[1].startswith("hint: install PostgreSQL's client tools") and len(lines) == 2


def _sent(store: Store) -> int:
    return store.delivery_counts(1).get(DeliveryStatus.SENT, 0)


def _wait(done: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the send did not get there"
        time.sleep(0.05)


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _env(url: str, sendgrid: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NEWSLETTER_DATABASE_URL": url,
        "SENDGRID_API_KEY": API_KEY if sendgrid else "",
        "SENDGRID_API_HOST": sendgrid or "http://127.0.0.1:1",
        "NEWSLETTER_SENDGRID_BATCH_SIZE": str(BATCH),
        "NEWSLETTER_SEND_CONCURRENCY": "2",
        "NEWSLETTER_FROM": "The Editor <editor@news.example>",
        "NEWSLETTER_BASE_URL": "https://news.example",
        "NEWSLETTER_SECRET": "backup-test-secret",
        "NEWSLETTER_CONFIG": "/nonexistent.toml",
    }
