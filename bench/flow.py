"""A weekly-issue run through Prefect against the same work done with the plain CLI.

    .venv/bin/python bench/flow.py [--rounds 3] [--subscribers 1000]

Needs a Prefect API: PREFECT_API_URL (e.g. `prefect server start`); without it a temporary
one is started first (not timed). Every round starts from two fresh stores holding the demo
feeds of 2024-11-18 … 2024-12-12 and the demo readers (plus --subscribers more), then times
the issue of the week of 2024-11-25 sent through the outbox:

- cli: `newsletter build` then `newsletter send` (two processes), and with the week's
  `newsletter ingest` before them, which the flow does too (its catch-up step);
- prefect: a weekly-issue run (require_approval off) started with run_deployment, the call
  the dashboard's Run button makes, served by `flows/serve.py` (started before, not timed),
  until it is Completed. Its pickup (the runner polls every PREFECT_RUNNER_POLL_FREQUENCY
  seconds) is shown apart, twice: with Prefect's default poll interval (10 s, what a user
  gets) and with 1 s.

Target: Prefect adds at most 50% to the CLI's time, or at most 3 seconds (with a 1 s poll).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]

sys.path.insert(0, str(ROOT))

from newsletter.app import App  # noqa: E402
from newsletter.config import load_settings  # noqa: E402
from newsletter.demo import DEMO_DIR, DEMO_RANGE, DEMO_READERS  # noqa: E402
from newsletter.services.ingest import ingest_feed  # noqa: E402
from newsletter.store import Store  # noqa: E402
from newsletter.subscribers.membership import add, unsubscribe  # noqa: E402

WEEK = dt.date(2024, 11, 25)
CONFIG = DEMO_DIR / "newsletter.toml"
NEWSLETTER = Path(sys.executable).with_name("newsletter")


def workspace(root: Path, extra: int) -> dict[str, str]:
    """A store with the demo feeds ingested and the readers added; its environment."""
    root.mkdir(parents=True)
    env = {
        "NEWSLETTER_DATABASE_URL": f"sqlite:///{root / 'store.db'}",
        "NEWSLETTER_OUTBOX": str(root / "outbox"),
        "NEWSLETTER_CONFIG": str(CONFIG),
        "SENDGRID_API_KEY": "",
        "SMTP_URL": "",
    }
    settings = load_settings(database_url=env["NEWSLETTER_DATABASE_URL"], config=CONFIG)
    app = App(settings, upgrade=True)
    for name in ("hf-daily", "arxiv-cs-cl"):
        ingest_feed(app, name, *DEMO_RANGE)
    with Store(settings.database_url) as store:
        for email, name in DEMO_READERS:
            add(store, email, name=name)
        unsubscribe(store, DEMO_READERS[-1][0])
        for n in range(extra):
            add(store, f"reader{n}@example.org")
    return env


def cli_round(root: Path, env: dict[str, str]) -> tuple[float, float]:
    """(build + send, ingest + build + send) in seconds, each command its own process."""

    def run(*args: str) -> float:
        start = time.perf_counter()
        subprocess.run(
            [str(NEWSLETTER), *args],
            cwd=root,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start

    end = WEEK + dt.timedelta(days=6)
    ingest = run("ingest", "--since", WEEK.isoformat(), "--until", end.isoformat())
    build_send = run("build", "--week", WEEK.isoformat()) + run(
        "send", "--week", WEEK.isoformat(), "--backend", "outbox"
    )
    return build_send, ingest + build_send


@contextlib.contextmanager
def serving(root: Path, env: dict[str, str], api: str, poll: str | None) -> Iterator[None]:
    """serve.py on `root`; `poll` seconds between the runners' looks for runs (None: Prefect's default)."""
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    full = {**os.environ, **env, "PREFECT_API_URL": api}
    full.pop("PREFECT_RUNNER_POLL_FREQUENCY", None)
    if poll:
        full["PREFECT_RUNNER_POLL_FREQUENCY"] = poll
    with open(root / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "flows" / "serve.py")],
            cwd=root,
            env=full,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with get_client(sync_client=True) as client:
            while True:
                try:
                    client.read_deployment_by_name("weekly-issue/weekly-issue")
                    break
                except ObjectNotFound:
                    if process.poll() is not None:
                        raise SystemExit(
                            f"flows/serve.py stopped; see {root / 'serve.log'}"
                        ) from None
                    time.sleep(0.2)
        time.sleep(2)  # the runners' first look
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def prefect_round() -> tuple[float, float, float]:
    """(click to Completed, pickup, the run itself) in seconds, watching the run's state."""
    from prefect import get_client
    from prefect.deployments import run_deployment

    run_id = run_deployment(
        "weekly-issue/weekly-issue",
        timeout=0,
        parameters={"week": WEEK.isoformat(), "require_approval": False},
    ).id
    with get_client(sync_client=True) as client:
        while not ((flow_run := client.read_flow_run(run_id)).state and flow_run.state.is_final()):
            time.sleep(0.05)
    seen = dt.datetime.now(dt.UTC)  # from the run's creation, as a click in the dashboard makes it
    if not flow_run.state.is_completed():
        raise SystemExit(f"the run ended {flow_run.state!r}")
    assert flow_run.start_time and flow_run.end_time and flow_run.created
    pickup = (flow_run.start_time - flow_run.created).total_seconds()
    return (
        (seen - flow_run.created).total_seconds(),
        pickup,
        (flow_run.end_time - flow_run.start_time).total_seconds(),
    )


@contextlib.contextmanager
def prefect_api() -> Iterator[str]:
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    print("no PREFECT_API_URL: starting a temporary Prefect server (not timed)…", flush=True)
    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


POLLS = {"default (10 s)": None, "1 s": "1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--subscribers", type=int, default=0, help="readers beyond the demo's three"
    )
    args = parser.parse_args()
    cli: list[tuple[float, float]] = []
    flows: dict[str, list[tuple[float, float, float]]] = {label: [] for label in POLLS}
    with prefect_api() as api, tempfile.TemporaryDirectory(prefix="bench-flow-") as tmp:
        for n in range(args.rounds):
            cli_root = Path(tmp) / f"cli{n}"
            cli.append(cli_round(cli_root, workspace(cli_root, args.subscribers)))
            line = f"round {n + 1}: cli {cli[-1][0]:.2f} s (with ingest {cli[-1][1]:.2f} s)"
            for i, (label, poll) in enumerate(POLLS.items()):
                flow_root = Path(tmp) / f"flow{n}-{i}"
                with serving(flow_root, workspace(flow_root, args.subscribers), api, poll):
                    flows[label].append(prefect_round())
                line += f"; prefect, poll {label}: {flows[label][-1][0]:.2f} s (pickup {flows[label][-1][1]:.2f} s)"
            print(line, flush=True)
    report(cli, flows, args.subscribers + 3)


def report(
    cli: list[tuple[float, float]], flows: dict[str, list[tuple[float, float, float]]], readers: int
) -> None:
    def median(values: list[tuple[float, ...]], i: int) -> float:
        return statistics.median(v[i] for v in values)

    build_send, with_ingest = median(cli, 0), median(cli, 1)  # type: ignore[arg-type]
    print(f"\nmedians, {len(cli)} rounds, {readers} active readers, issue of the week of {WEEK}:")
    print(f"  cli build + send                {build_send:6.2f} s")
    print(f"  cli ingest + build + send       {with_ingest:6.2f} s   (the flow's work)")
    for label, found in flows.items():
        total, pickup, run = median(found, 0), median(found, 1), median(found, 2)  # type: ignore[arg-type]
        added = total - with_ingest
        print(
            f"  prefect, Run click → Completed  {total:6.2f} s   (runner poll {label}: pickup {pickup:.2f} s, "
            f"run {run:.2f} s); {added:+.2f} s ({added / with_ingest:+.0%}) over the same work"
        )
    total = median(flows["1 s"], 0)  # type: ignore[arg-type]
    added = total - with_ingest
    ok = added <= 3 or total <= 1.5 * with_ingest
    print(
        f"  target with a 1 s poll, ≤ +50% or ≤ +3 s: {'met' if ok else 'NOT met'}; with the default poll "
        "a click waits up to 10 s more for the runner's next look (PREFECT_RUNNER_POLL_FREQUENCY)"
    )


if __name__ == "__main__":
    main()
