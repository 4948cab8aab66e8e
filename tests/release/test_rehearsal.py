"""The release rehearsal: the Monday send, run the way the owner's server runs it.

The built wheel goes into a fresh venv and works from a folder holding only newsletter.toml
and .env (written by the installed `newsletter init`); the flows come from the wheel too
(the package `newsletter_flows`), never from this checkout. A real `prefect server start`, on
PostgreSQL when CI provides one, runs with its services on (the scheduler's loop shortened
with Prefect's own setting). Then, in order:

1. the installed wheel runs the demo from an empty folder, and prefect.yaml's entrypoints import
   there from the venv's site-packages;
2. `python -m newsletter_flows.serve` serves the flows, and the scheduler creates the weekly run
   for next Monday 08:00 in the editor's time zone and the daily one at 05:00 UTC;
3. a schedule set a minute ahead in newsletter.toml fires by itself, builds from feeds on
   127.0.0.1 (served by the installed `newsletter-flows`), pauses for approval (the dashboard's
   pages are opened in Chromium), is approved
   through the call the dashboard's Resume form makes, and sends through the SendGrid-compatible
   test server to every active subscriber exactly once;
4. the same flows deployed from prefect.yaml (alone in a folder) to a process work pool run
   through `prefect worker start`, without PYTHONPATH, and a second weekly run reaches nobody
   twice;
5. the Prefect server logged no traceback.

These tests run in that order and share one stage; each needs the ones before it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import yaml

from tests.release.rehearsal import (
    ROOT,
    Api,
    Process,
    clean_env,
    free_port,
    next_at,
    processes,
    run,
    wait_healthy,
    when,
)
from tests.support.browser import Browser, chromium_available
from tests.support.httpserver import FeedServer, Reply
from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.stores import POSTGRES_URL, empty_postgres

pytestmark = pytest.mark.release

ZONE = "America/New_York"  # the editor's zone: not UTC, with summer time
READERS = ("ada@example.org", "grace@example.org", "alan@example.org")
LEFT = "left@example.org"
EDITOR = "editor@example.org"
HF_LIST = ROOT / "src" / "newsletter" / "demo" / "feeds" / "hf-daily" / "2024-11-25.json"
PREFECT_YAML = ROOT / "prefect.yaml"
SHOTS = ROOT / "out" / "screenshots"


@dataclass
class Stage:
    bin: Path  # the fresh venv's bin/
    work: Path  # the folder with only newsletter.toml and .env (and what runs leave there)
    home: Path
    api: Api
    ui: str
    server: Process
    started: list[Process]
    sendgrid: SendGridServer
    feeds: FeedServer

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(
            self.bin,
            self.home,
            PREFECT_HOME=str(self.home / "prefect"),
            PREFECT_API_URL=self.api.url,
            **extra,
        )

    def newsletter(self, *args: str) -> str:
        return run([str(self.bin / "newsletter"), *args], cwd=self.work, env=self.env())

    def prefect(self, *args: str, cwd: Path | None = None) -> str:
        return run([str(self.bin / "prefect"), *args], cwd=cwd or self.work, env=self.env())

    def start(
        self, name: str, command: list[str], *, extra: dict[str, str] | None = None
    ) -> Process:
        process = Process.start(
            name, command, cwd=self.work, env=self.env(**(extra or {})), logs=self.home
        )
        self.started.append(process)
        self.api.watched.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        self.started.remove(process)

    def schedule(self, weekly: str) -> None:
        """[schedule] weekly in the folder's newsletter.toml, as the editor would edit it."""
        path = self.work / "newsletter.toml"
        path.write_text(re.sub(r'(?m)^weekly = "[^"]*"', f'weekly = "{weekly}"', path.read_text()))

    def mailed(self) -> Counter[str]:
        return Counter(address for address, _, _ in self.sendgrid.delivered())

    def subjects(self) -> list[str]:
        """Every accepted request's subject and first recipient: what an assertion shows."""
        return [
            f"{(a.body or {}).get('subject')!r} to {a.recipients()[0][0]}"
            for a in self.sendgrid.accepted
        ]


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, installed: Path) -> Iterator[Stage]:
    root = tmp_path_factory.mktemp("release")
    bin_dir = installed
    home = root / "home"
    home.mkdir()
    with FeedServer() as feeds, SendGridServer() as sendgrid, processes() as started:
        work = root / "work"
        run(
            [str(bin_dir / "newsletter"), "init", str(work)], cwd=root, env=clean_env(bin_dir, home)
        )
        assert sorted(p.name for p in work.iterdir()) == [".env", "newsletter.toml"]
        hf = feeds.route(
            "/api/daily_papers", Reply(body=HF_LIST.read_bytes(), content_type="application/json")
        )
        _settle(work, hf, sendgrid.url)
        port = free_port()
        api = Api(f"http://127.0.0.1:{port}/api")
        server = Process.start(
            "prefect-server",
            [str(bin_dir / "prefect"), "server", "start"],
            cwd=root,
            logs=home,
            env=clean_env(bin_dir, home, **_server_settings(home, port)),
        )
        started.append(server)
        api.watched.append(server)
        wait_healthy(api, server)
        made = Stage(
            bin_dir, work, home, api, f"http://127.0.0.1:{port}", server, started, sendgrid, feeds
        )
        for email in (*READERS, LEFT):
            made.newsletter("subscribers", "add", email)
        made.newsletter("subscribers", "unsubscribe", LEFT)
        yield made


def _settle(work: Path, hf_url: str, sendgrid_url: str) -> None:
    """The editor's edits to what `newsletter init` wrote: local feeds, zone, editors; SendGrid."""
    toml = (work / "newsletter.toml").read_text()
    head, feeds_start, _ = toml.partition("[[feeds]]")
    _, schedule_start, rest = toml.partition("[schedule]")
    assert feeds_start and schedule_start, "newsletter init's file has no [[feeds]] or [schedule]"
    feed = f'[[feeds]]\nname = "hf-daily"\nkind = "hf-daily"\nurl = "{hf_url}"\n\n'
    rest = _replace(rest, r'(?m)^timezone = "UTC"', f'timezone = "{ZONE}"')
    rest = _replace(rest, r"(?m)^editors = \[\]", f'editors = ["{EDITOR}"]')
    rest = _replace(rest, r"(?m)^poll_seconds = 10", "poll_seconds = 1")
    (work / "newsletter.toml").write_text(head + feed + schedule_start + rest)
    with open(work / ".env", "a", encoding="utf-8") as env:
        env.write(
            f"\nSENDGRID_API_KEY={API_KEY}\nSENDGRID_API_HOST={sendgrid_url}\n"
            'NEWSLETTER_FROM="Ed <ed@news.example>"\nNEWSLETTER_BASE_URL=https://news.example\n'
        )


def _replace(text: str, pattern: str, new: str) -> str:
    changed, count = re.subn(pattern, new, text, count=1)
    assert count == 1, f"no {pattern!r} in newsletter init's file"
    return changed


def _server_settings(home: Path, port: int) -> dict[str, str]:
    """Prefect's server as docs/prefect.md recommends for production: on PostgreSQL (CI has one).

    The port as a setting, not `--port`: the flag does not reach the dashboard, which would
    then call the API on 4200 and show nothing.
    """
    settings = {
        "PREFECT_HOME": str(home / "prefect-server"),
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }
    if POSTGRES_URL:
        parts = urlsplit(POSTGRES_URL)
        # .ci/postgres makes it; a second checkout testing beside this one names its own
        name = os.environ.get("NEWSLETTER_TEST_PREFECT_DATABASE", "newsletter_prefect")
        database = urlunsplit(parts._replace(path=f"/{name}"))
        empty_postgres(database)
        settings["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database.replace(
            "postgresql://", "postgresql+asyncpg://", 1
        )
    elif os.environ.get("CI"):
        pytest.fail(
            "NEWSLETTER_TEST_POSTGRES_URL is not set: the rehearsal runs Prefect on PostgreSQL in CI"
        )
    return settings


def test_the_entrypoints_of_prefect_yaml_import_from_the_wheel(
    stage: Stage, tmp_path: Path
) -> None:
    """What a worker does with each entrypoint (Prefect's own loader), from an empty folder
    with no checkout on the path: the flows and the library are the venv's."""
    entrypoints = [d["entrypoint"] for d in yaml.safe_load(PREFECT_YAML.read_text())["deployments"]]
    code = (
        "import sys, sysconfig, newsletter\n"
        "from prefect.flows import load_flow_from_entrypoint\n"
        "print('@@ site', sysconfig.get_paths()['purelib'])\n"
        "print('@@ library', newsletter.__file__)\n"
        "for entry in sys.argv[1:]:\n"
        "    flow = load_flow_from_entrypoint(entry)\n"
        "    print('@@', entry, sys.modules[entry.partition(':')[0]].__file__, flow.name)\n"
    )
    output = run(
        [str(stage.bin / "python"), "-c", code, *entrypoints], cwd=tmp_path, env=stage.env()
    )
    found = {
        key: rest.split(" ")
        for key, _, rest in (
            line.removeprefix("@@ ").partition(" ")
            for line in output.splitlines()
            if line.startswith("@@ ")
        )
    }
    assert sorted(found) == sorted(["site", "library", *entrypoints]), output
    (site,) = found["site"]
    assert found["library"][0].startswith(f"{site}/newsletter/"), found["library"]
    for entry in entrypoints:
        file, name = found[entry]
        assert file.startswith(f"{site}/newsletter_flows/"), (entry, file, site)
        assert name == entry.rpartition(":")[2].replace("_", "-")


def test_the_installed_wheel_runs_the_demo_from_an_empty_folder(
    stage: Stage, tmp_path: Path
) -> None:
    """Templates, migrations, demo data and settings all come from the wheel, not the checkout."""
    output = run([str(stage.bin / "newsletter"), "demo"], cwd=tmp_path, env=stage.env())
    assert "via outbox: sent 3, failed 0" in output, output
    html = (tmp_path / "out" / "demo" / "2024-11-25" / "issue.html").read_text()
    assert "Important LLMs Papers for the Week from 25/11 to 30/11" in html
    assert len(list((tmp_path / "out" / "demo" / "outbox" / "issue-1").glob("*.eml"))) == 3
    output = run(
        [str(stage.bin / "newsletter"), "demo", "--events", "200"], cwd=tmp_path, env=stage.env()
    )
    assert "synthetic events: " in output, output  # the report page's template is the wheel's
    page = (tmp_path / "out" / "demo" / "report-issue-1.html").read_text()
    assert "chart-papers" in page and "Plotly" in page


def test_the_scheduler_creates_the_weekly_and_the_daily_runs(stage: Stage) -> None:
    """The installed flows deploy themselves; the server's scheduler (not a test call) creates
    their runs."""
    serve = stage.start("serve-1", [str(stage.bin / "python"), "-m", "newsletter_flows.serve"])
    weekly = stage.api.wait(
        "weekly-issue deployed", lambda: _deployment(stage, "weekly-issue/weekly-issue"), 90
    )
    daily = stage.api.wait(
        "daily-ingest deployed", lambda: _deployment(stage, "daily-ingest/daily-ingest"), 90
    )
    report = stage.api.wait(
        "issue-report deployed", lambda: _deployment(stage, "issue-report/issue-report"), 90
    )
    first_weekly = _first_scheduled(
        stage, weekly, next_at(ZONE, 8, weekday=0)
    )  # next Monday 08:00 in New York
    first_daily = _first_scheduled(stage, daily, next_at("UTC", 5))
    first_report = _first_scheduled(stage, report, next_at(ZONE, 8, weekday=3))  # Thursday
    assert first_weekly["auto_scheduled"] and first_daily["auto_scheduled"]  # made by the scheduler
    assert first_report["auto_scheduled"]
    stage.stop(serve)


def test_a_schedule_a_minute_ahead_fires_pauses_and_sends_once_approved(stage: Stage) -> None:
    """The editor moves [schedule] weekly to the next minute; the run starts by itself."""
    fire = _next_minute(ZONE, lead_seconds=40)
    stage.schedule(f"{fire.minute} {fire.hour} * * *")
    stage.start("serve-2", [str(stage.bin / "newsletter-flows")])
    deployment = stage.api.deployment("weekly-issue/weekly-issue")

    def paused_run() -> dict[str, Any] | None:
        return next((r for r in stage.api.runs(deployment["id"], ("PAUSED",))), None)

    timeout = (fire - dt.datetime.now(dt.UTC)).total_seconds() + 150
    run_ = stage.api.wait("the scheduled run to pause for approval", paused_run, timeout, every=2)
    assert run_["auto_scheduled"] and when(run_) == fire.astimezone(dt.UTC)
    assert not stage.mailed().keys() & set(READERS)  # only the proof went out before approval
    _dashboard(stage, str(deployment["id"]), str(run_["id"]))

    answer = stage.api.post(
        f"/flow_runs/{run_['id']}/resume",  # what the Resume form posts
        {"run_input": {"approve": True, "add": [], "remove": []}},
    )
    assert answer["status"] == "ACCEPT", answer
    done = stage.api.wait_state(
        str(run_["id"]), "COMPLETED", "FAILED", "CRASHED", "CANCELLED", timeout=180
    )
    assert done["state_type"] == "COMPLETED", done["state"]
    assert stage.mailed() == Counter({**dict.fromkeys(READERS, 1), EDITOR: 1}), (
        stage.subjects()
    )  # proof, issue


def test_a_process_work_pool_from_prefect_yaml_runs_the_flows(stage: Stage) -> None:
    """`prefect deploy` of prefect.yaml alone, workers started as docs/prefect.md says, the flows
    imported from the wheel; nobody mailed twice."""
    for process in list(stage.started):
        if process.name.startswith("serve"):
            stage.stop(process)
    deploy = stage.home / "deploy"
    deploy.mkdir()
    shutil.copy(PREFECT_YAML, deploy / "prefect.yaml")
    stage.prefect("work-pool", "create", "newsletter", "--type", "process")
    stage.prefect("--no-prompt", "deploy", "--all", cwd=deploy)
    workers = {"NEWSLETTER_HOME": str(stage.work)}
    for queue in ("weekly-issue", "daily-ingest"):
        stage.start(
            f"worker-{queue}",
            [
                str(stage.bin / "prefect"),
                "worker",
                "start",
                "--pool",
                "newsletter",
                "--work-queue",
                queue,
                "--limit",
                "1",
            ],
            extra=workers,
        )
    weekly = stage.api.deployment("weekly-issue/weekly-issue")
    daily = stage.api.deployment("daily-ingest/daily-ingest")
    assert (weekly["work_queue_name"], daily["work_queue_name"]) == ("weekly-issue", "daily-ingest")

    _first_scheduled(stage, weekly, next_at("UTC", 8, weekday=0))  # prefect.yaml's schedules
    _first_scheduled(stage, daily, next_at("UTC", 5))

    ingest = stage.api.post(f"/deployments/{daily['id']}/create_flow_run", {})
    assert (
        stage.api.wait_state(ingest["id"], "COMPLETED", "FAILED", "CRASHED", timeout=180)[
            "state_type"
        ]
        == "COMPLETED"
    )
    week = _sent_week(stage)
    again = stage.api.post(
        f"/deployments/{weekly['id']}/create_flow_run",
        {"parameters": {"week": week, "require_approval": True}},
    )
    done = stage.api.wait_state(
        again["id"], "COMPLETED", "FAILED", "CRASHED", "PAUSED", timeout=180
    )
    assert done["state_type"] == "COMPLETED", done[
        "state"
    ]  # a sent week asks nothing and sends nothing
    assert "sent 0, failed 0" in done["state"]["message"]
    assert stage.mailed() == Counter({**dict.fromkeys(READERS, 1), EDITOR: 1}), stage.subjects()


def test_the_prefect_server_logged_no_traceback(stage: Stage) -> None:
    text = stage.server.text()
    assert "Traceback" not in text, stage.server.tail(80)
    assert "Uvicorn running" in text or "Check out the dashboard" in text


def _deployment(stage: Stage, name: str) -> dict[str, Any] | None:
    try:
        return stage.api.deployment(name)
    except AssertionError:
        return None


def _first_scheduled(
    stage: Stage, deployment: dict[str, Any], expected: dt.datetime
) -> dict[str, Any]:
    """The deployment's first scheduled run, once the scheduler has made it for `expected`."""

    def made() -> dict[str, Any] | None:
        runs = stage.api.runs(str(deployment["id"]), ("SCHEDULED",))
        return runs[0] if runs and when(runs[0]) == expected else None

    found: dict[str, Any] = stage.api.wait(
        f"a {deployment['name']} run scheduled for {expected}", made, 60
    )
    return found


def _next_minute(zone: str, lead_seconds: float) -> dt.datetime:
    from zoneinfo import ZoneInfo

    soon = dt.datetime.now(ZoneInfo(zone)) + dt.timedelta(seconds=lead_seconds)
    minute = dt.datetime.fromtimestamp(math.ceil(soon.timestamp() / 60) * 60, ZoneInfo(zone))
    return minute


def _sent_week(stage: Stage) -> str:
    folders = [p.name for p in (stage.work / "out").iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def _dashboard(stage: Stage, deployment_id: str, run_id: str) -> None:
    """The deployment's Custom run form and the paused run, in Chromium, with screenshots."""
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing (apt-get install chromium)")
        return
    ui_settings = httpx.get(f"{stage.ui}/ui-settings", timeout=10).json()
    assert ui_settings["api_url"] == stage.api.url  # else every page of the dashboard stays empty
    pages = {
        "release-custom-run": (
            f"{stage.ui}/deployments/deployment/{deployment_id}/run",
            ("require", "approval"),
        ),
        "release-paused-run": (f"{stage.ui}/runs/flow-run/{run_id}", ("Paused", "Resume")),
    }
    with Browser(timeout=30) as browser:
        for name, (url, expected) in pages.items():
            browser.goto(url)
            try:
                stage.api.wait(
                    f"{name} to render {expected}",
                    lambda words=expected: all(  # type: ignore[misc]
                        word.lower() in browser.text().lower() for word in words
                    ),
                    30,
                    every=0.5,
                )
            finally:
                browser.screenshot(SHOTS / f"{name}.png")
            shown = browser.text()
            assert "Something went wrong" not in shown and len(shown.strip()) > 40, shown[:500]
