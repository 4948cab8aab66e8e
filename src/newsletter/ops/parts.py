"""What `newsletter serve` runs: the web app, the flows' runner and, when asked and no
PREFECT_API_URL is set, a local Prefect server, each a command of the installed package.

The local server keeps its own SQLite database and home under the settings folder
(`data/prefect/`), listens on 127.0.0.1 only, and sends no telemetry
(PREFECT_SERVER_ANALYTICS_ENABLED=false, DO_NOT_TRACK=1: offline, its telemetry service would
log "Failed to send telemetry" every ten minutes). The other parts find it through
PREFECT_API_URL; the runner starts once it answers.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ConfigError
from newsletter.ops.prefect_api import PrefectApi, PrefectUnavailable
from newsletter.ops.supervisor import Part
from newsletter.private_files import private_folder

PREFECT_FOLDER = Path("data") / "prefect"  # under the settings folder
QUIET = {  # every part: no telemetry, lines as they are written
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True, slots=True)
class Plan:
    parts: list[Part]
    notes: list[str]  # what the supervisor says first: where each part is


def plan(
    folder: Path,
    environ: Mapping[str, str],
    *,
    host: str,
    port: int,
    prefect_api_url: str | None,
    prefect_server: bool,
    prefect_port: int,
    python: str = sys.executable,
) -> Plan:
    """The parts for the settings folder `folder`. `prefect_api_url` is PREFECT_API_URL as the
    settings read it (the environment or .env); with it set, no server is started."""
    env = {**environ, **QUIET}
    notes = [f"settings folder {folder}"]
    parts = []
    runner_after: tuple[str, ...] = ()
    if prefect_api_url:
        notes.append(f"Prefect: the API at {_no_credentials(prefect_api_url)} (PREFECT_API_URL)")
        if prefect_server:
            notes.append("PREFECT_API_URL is set, so no local Prefect server is started")
    elif prefect_server:
        server, api_url = local_server(folder, env, prefect_port, python)
        parts.append(server)
        env |= {"PREFECT_API_URL": api_url, "PREFECT_HOME": server.env["PREFECT_HOME"]}
        runner_after = (server.name,)
        notes.append(
            f"Prefect: a local server, dashboard http://127.0.0.1:{prefect_port}, "
            f"its database in {PREFECT_FOLDER / 'prefect.db'}"
        )
    else:
        raise ConfigError(
            "no Prefect API to serve the flows on: PREFECT_API_URL is not set",
            hint="pass --prefect-server to start a local one, or set PREFECT_API_URL in .env",
        )
    parts.append(
        Part(
            "web", [python, "-m", "newsletter.cli", "web", "--host", host, "--port", str(port)], env
        )
    )
    parts.append(Part("flows", [python, "-m", "newsletter_flows.serve"], env, after=runner_after))
    notes.append(f"web: http://{_shown(host)}:{port} (subscribe, unsubscribe, /healthz, archive)")
    return Plan(parts, notes)


def local_server(
    folder: Path, environ: Mapping[str, str], port: int, python: str
) -> tuple[Part, str]:
    """`prefect server start` with its home and SQLite under `folder`, on 127.0.0.1:`port`;
    the part, and its API URL. It stops last: the runner records its runs through it."""
    if not port_free("127.0.0.1", port):
        raise ConfigError(
            f"port {port} on 127.0.0.1 is in use, so a local Prefect server cannot start there",
            hint="is a Prefect server running already? set PREFECT_API_URL to use it, "
            "or pass --prefect-port",
        )
    home = private_folder(folder / PREFECT_FOLDER)
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        # the port as a setting, not --port: the flag does not reach the dashboard
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": api_url,
    }

    def answers() -> bool:
        with PrefectApi(api_url, timeout=1.0) as api:
            try:
                api.healthy()
            except PrefectUnavailable:
                return False
        return True

    server = Part(
        "prefect",
        [python, "-m", "prefect", "server", "start"],
        env,
        ready=answers,
        stop_phase=1,
    )
    return server, api_url


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _shown(host: str) -> str:
    return "localhost" if host in ("0.0.0.0", "::", "") else host


def _no_credentials(url: str) -> str:
    """A URL for the log, without user:password."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.rpartition('@')[2]}" if sep else url
