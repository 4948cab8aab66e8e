"""The pieces of the release rehearsal: a wheel in a fresh venv, processes with logs, the
Prefect API as the dashboard calls it.

Everything runs as the owner's server would: the built wheel installed (not editable) in its
own venv, commands started from a folder holding only newsletter.toml and .env, Prefect's
own `prefect server start` with its services, `flows/serve.py` and `prefect worker start`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.support.paths import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def build_and_install(where: Path) -> Path:
    """The wheel built from the checkout, installed into a fresh venv; the venv's bin/."""
    dist = where / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        cwd=where,
    )
    (wheel,) = dist.glob("newsletter-*.whl")
    venv = where / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=where)
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], cwd=where)
    return venv / "bin"


def run(
    command: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 600
) -> str:
    """Run to the end; the output, or an AssertionError carrying it."""
    done = subprocess.run(
        command,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        timeout=timeout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-4000:]}"
        )
    return done.stdout


def clean_env(bin_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    """An environment with nothing of the test process in it: only this venv on PATH."""
    return {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        **extra,
    }


@dataclass
class Process:
    """A long-running command in its own process group, its output in a log file."""

    name: str
    log: Path
    popen: subprocess.Popen[bytes]

    @classmethod
    def start(
        cls, name: str, command: list[str], *, cwd: Path, env: Mapping[str, str], logs: Path
    ) -> Process:
        log = logs / f"{name}.log"
        with open(log, "ab") as sink:
            popen = subprocess.Popen(
                command,
                cwd=cwd,
                env=dict(env),
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(name, log, popen)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return f"--- {self.name} ---\n" + "\n".join(self.text().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 20) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(grace)
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is still there
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)


@dataclass
class Api:
    """Prefect's REST API, called as the dashboard calls it."""

    url: str  # http://127.0.0.1:PORT/api
    watched: list[Process] = field(default_factory=list)  # their logs explain a timeout

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def get(self, path: str) -> Any:
        return self._ok(self.http.get(path)).json()

    def post(self, path: str, body: Any = None) -> Any:
        return self._ok(self.http.post(path, json=body if body is not None else {})).json()

    def deployment(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/deployments/name/{name}")
        return found

    def runs(self, deployment_id: str, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "deployments": {"id": {"any_": [deployment_id]}},
            "sort": "EXPECTED_START_TIME_ASC",
        }
        if states:
            body["flow_runs"] = {"state": {"type": {"any_": list(states)}}}
        found: list[dict[str, Any]] = self.post("/flow_runs/filter", body)
        return found

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.get(f"/flow_runs/{run_id}")
        return found

    def wait(self, what: str, found: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
        """`found()` once it is truthy; after `timeout` seconds, an error with every log's tail."""
        deadline = time.monotonic() + timeout
        while True:
            value = found()
            if value:
                return value
            if time.monotonic() > deadline:
                tails = "\n".join(p.tail() for p in self.watched)
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}\n{tails}")
            time.sleep(every)

    def wait_state(self, run_id: str, *states: str, timeout: float) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            run = self.run(run_id)
            return run if run["state_type"] in states else None

        found: dict[str, Any] = self.wait(
            f"run {run_id} to be {'/'.join(states)}", reached, timeout
        )
        return found

    @staticmethod
    def _ok(response: httpx.Response) -> httpx.Response:
        if response.is_error:
            raise AssertionError(
                f"{response.request.method} {response.request.url}: "
                f"{response.status_code} {response.text[:500]}"
            )
        return response


def wait_healthy(api: Api, server: Process, timeout: float = 120) -> None:
    def healthy() -> bool:
        if not server.alive():
            raise AssertionError(f"prefect server exited\n{server.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            return api.http.get("/health").status_code == 200
        return False

    api.wait("the Prefect server to answer", healthy, timeout, every=0.5)


def when(run: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(run["expected_start_time"])


def next_at(
    zone: str,
    hour: int,
    minute: int = 0,
    weekday: int | None = None,
    now: dt.datetime | None = None,
) -> dt.datetime:
    """The next local hour:minute (on `weekday`, Monday = 0) after now, in UTC."""
    tz = ZoneInfo(zone)
    local = (now or dt.datetime.now(dt.UTC)).astimezone(tz)
    for ahead in range(8):
        day = local.date() + dt.timedelta(days=ahead)
        candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        if candidate > local and (weekday is None or day.weekday() == weekday):
            return candidate.astimezone(dt.UTC)
    raise AssertionError("no such time within a week")


@contextlib.contextmanager
def processes() -> Iterator[list[Process]]:
    """Every process started inside is stopped on the way out, last started first."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in reversed(started):
            process.stop()
