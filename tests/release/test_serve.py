"""`newsletter serve --prefect-server` from the installed wheel, as the owner starts it: an
empty folder, `newsletter init`, then one command; within 90 s everything one machine needs
is up (with a first ingest of the demo's recorded feeds, /healthz says ok with 200), and
SIGTERM (systemd's stop) leaves no process behind.

The wheel and its venv are the release rehearsal's (tests/release/conftest.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.ops.prefect_api import DEPLOYMENTS
from tests.release.rehearsal import Api, Process, clean_env, free_port, run
from tests.support.processes import in_session

pytestmark = pytest.mark.release

WITHIN = 90  # seconds from the command to everything up (the bar)


def test_serve_starts_everything_from_an_empty_folder_and_stops_clean(
    installed: Path, tmp_path: Path
) -> None:
    home, work = tmp_path / "home", tmp_path / "newsletter"
    home.mkdir()
    env = clean_env(installed, home)  # no PREFECT_API_URL: the local server is the default
    for quiet in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED"):
        del env[quiet]  # serve keeps telemetry off by itself
    run([str(installed / "newsletter"), "init", str(work), "--demo-feeds"], cwd=tmp_path, env=env)
    assert sorted(p.name for p in work.iterdir()) == [".env", "feeds", "newsletter.toml"]
    ingest = ["ingest", "--since", "2024-11-18", "--until", "2024-12-12"]  # the recorded weeks
    run([str(installed / "newsletter"), *ingest], cwd=work, env=env)
    web, prefect = free_port(), free_port()
    command = [str(installed / "newsletter"), "serve", "--prefect-server", "--port", str(web),
               "--prefect-port", str(prefect)]  # fmt: skip
    serve = Process.start("serve", command, cwd=work, env=env, logs=tmp_path)
    api = Api(f"http://127.0.0.1:{prefect}/api", watched=[serve])
    try:
        code, health = api.wait("/healthz: the store, Prefect, its deployments and the next weekly run",
                          lambda: _healthy(web, serve), WITHIN, every=1)  # fmt: skip
        checks = {c["name"]: c for c in health["checks"]}
        assert health["store"] == "ok" and health["prefect"] == "ok"
        assert checks["deployments"]["ok"] and checks["next_weekly_run"]["ok"]
        monday = dt.datetime.fromisoformat(health["next_weekly_run"])
        assert monday.weekday() == 0 and (monday.hour, monday.minute) == (8, 0)  # 0 8 * * 1, UTC
        assert (code, health["status"]) == (200, "ok"), health
        assert checks["last_ingest"]["ok"] and health["last_ingest"] is not None
        for name in DEPLOYMENTS:  # the API lists each with its next run
            deployment = api.deployment(name)
            assert api.runs(str(deployment["id"]), ("SCHEDULED",)), name
        page = httpx.get(f"http://127.0.0.1:{web}/subscribe", timeout=10)
        assert page.status_code == 200 and 'name="email"' in page.text
        assert (work / "data" / "prefect" / "prefect.db").is_file()  # its own, in the folder
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(serve.popen.pid, signal.SIGTERM)  # to the supervisor alone, as systemd does
        code = serve.popen.wait(20)
        left = _left(serve.popen.pid)
        serve.stop()  # whatever a failure left
    log = serve.text()
    assert code == 0 and left == [], (left, serve.tail(60))
    assert "serve   | stopped in " in log and "Traceback" not in log
    assert "Failed to send telemetry" not in log
    assert all(" | " in line for line in log.splitlines() if line.strip()), serve.tail(60)


def _healthy(port: int, serve: Process) -> tuple[int, dict[str, Any]] | None:
    if not serve.alive():
        raise AssertionError(f"newsletter serve exited\n{serve.tail(60)}")
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        body: dict[str, Any] = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    ok = {c["name"] for c in body["checks"] if c["ok"]}
    wanted = {"store", "prefect", "deployments", "next_weekly_run"}
    return (answer.status_code, body) if wanted <= ok else None


def _left(session: int, settle: float = 5) -> list[tuple[int, int, str]]:
    """What is still running in serve's session, given a moment for the last to be reaped."""
    deadline = time.monotonic() + settle
    while (found := in_session(session)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found
