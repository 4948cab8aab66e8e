"""Flow tests against a real Prefect API on 127.0.0.1, started once per session, lazily.

Only tests that ask for `prefect_api` (directly, or through `served`) start it: Prefect's
test harness, an API server subprocess with a throwaway SQLite database (about 15 s).
`served` runs `python flows/serve.py` against it, on a temporary store and outbox; its links
(proofs, review links) point at `review_site`, the web app on an address bound before it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

# Before Prefect is imported anywhere: no telemetry, and a Prefect home of our own.
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newsletter-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], ignore_errors=True)

from tests.support.paths import ROOT  # noqa: E402  (after the Prefect settings above)
from tests.support.webserver import WebServer, bound  # noqa: E402
from tests.support.workspace import Workspace, make_workspace, settings_file  # noqa: E402

SITE_SECRET = "flows-review-secret"  # signs the served runs' links and the review site's


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """The API URL of Prefect's test harness, also set for this process."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield str(PREFECT_API_URL.value())


def runs_of_task(flow_run_id: Any) -> dict[str, int]:
    """A flow run's task runs: name → how many times each ran."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        found = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {run.name: run.run_count for run in found}


@dataclass
class Served:
    """`python flows/serve.py` running against the harness, on its own workspace."""

    space: Workspace
    process: subprocess.Popen[bytes]
    log: Path
    config: Path  # the newsletter.toml its runs read (a copy of the weekly tests' own)

    def run(self, deployment: str, **parameters: Any) -> UUID:
        """What the dashboard's Run button does: a flow run of the deployment, to be picked up."""
        from prefect.deployments import run_deployment

        return run_deployment(deployment, parameters=parameters, timeout=0).id

    def wait(
        self, run_id: UUID, until: Callable[[Any], bool] | None = None, timeout: float = 120
    ) -> Any:
        """The flow run once `until(state)` holds (default: a final state)."""
        from prefect import get_client

        done = until or (lambda state: state.is_final())
        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while True:
                flow_run = client.read_flow_run(run_id)
                if flow_run.state and done(flow_run.state):
                    return flow_run
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(
                        f"run {run_id} is {flow_run.state!r}; serve log:\n{self.tail()}"
                    )
                time.sleep(0.25)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def site_socket() -> Iterator[Any]:
    """Where the review site will listen: bound first, so the served runs link to it."""
    sock = bound()
    yield sock
    sock.close()


@pytest.fixture(scope="session")
def served(
    prefect_api: str, tmp_path_factory: pytest.TempPathFactory, site_socket: Any
) -> Iterator[Served]:
    space = make_workspace(tmp_path_factory.mktemp("served"))
    log = space.root / "serve.log"
    config = settings_file(space.root)
    env = {
        **os.environ,
        **space.env(config),
        "PREFECT_API_URL": prefect_api,
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "NEWSLETTER_BASE_URL": _url(site_socket),
        "NEWSLETTER_SECRET": SITE_SECRET,
    }
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "flows" / "serve.py")],
            cwd=space.root,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    serving = Served(space, process, log, config)
    try:
        _wait_for_deployments(
            serving,
            ("weekly-issue/weekly-issue", "daily-ingest/daily-ingest", "issue-report/issue-report"),
        )
        yield serving
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def review_site(served: Served, prefect_api: str, site_socket: Any) -> Iterator[WebServer]:
    """`newsletter web` for the served runs' store: their review links open here, and its
    approval resumes them through the Prefect API."""
    from newsletter.app import App
    from newsletter.config import Settings
    from newsletter.delivery.backends.outbox import OutboxBackend
    from newsletter.store import Store
    from newsletter.web.app import create_app

    store = Store(served.space.database_url)
    settings = Settings(
        _env_file=None,
        database_url=served.space.database_url,
        config=served.space.root / "newsletter.toml",  # the served runs' (settings_file)
        base_url=_url(site_socket),
        secret=SITE_SECRET,  # type: ignore[arg-type]
        from_address="LLM Papers Weekly <editor@news.example>",
        outbox=served.space.outbox,
        prefect_api_url=prefect_api,
        sendgrid_api_key=None,
        smtp_url=None,
    )

    def make_app(url: str) -> Any:
        return create_app(
            settings, app=App(settings, store=store), backend=OutboxBackend(served.space.outbox)
        )

    with WebServer(make_app, sock=site_socket) as server:
        yield server
    store.close()


def _url(sock: Any) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _wait_for_deployments(serving: Served, names: tuple[str, ...], timeout: float = 60) -> None:
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        for name in names:
            while True:
                try:
                    client.read_deployment_by_name(name)
                    break
                except ObjectNotFound:
                    if serving.process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(
                            f"{name} was not deployed; serve log:\n{serving.tail()}"
                        ) from None
                    time.sleep(0.25)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The serve process and the flow-run processes it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # whatever of the group is still there
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)
