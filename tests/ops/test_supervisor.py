"""`newsletter serve`'s supervisor, with small Python programs as its parts, run as the owner
runs it (its own process, signalled as a terminal or systemd signals it): one stream with
each line prefixed by its part, parts that wait for the one they need, a part that dies
restarted with backoff, and a stop that goes phase by phase, kills what does not stop, and
leaves no process behind. (The real parts: tests/release/test_serve.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT
from tests.support.processes import in_session

DRIVER = """
import json, os, sys
from pathlib import Path
from newsletter.ops.supervisor import Part, Supervisor

spec = json.loads(sys.argv[1])
parts = [
    Part(
        p["name"],
        [sys.executable, "-c", p["code"]],
        dict(os.environ),
        ready=(lambda f=p.get("ready_file"): f is None or Path(f).exists()),
        after=tuple(p.get("after", ())),
        stop_phase=p.get("phase", 0),
    )
    for p in spec["parts"]
]
supervisor = Supervisor(parts, cwd=Path.cwd(), out=sys.stdout, backoff=0.2, max_backoff=0.8,
                        stable=30, stop_within=spec["stop_within"])
sys.exit(supervisor.run())
"""


def program(body: str) -> str:
    """A part: prints as it goes, and runs `on_term` when asked to stop."""
    return "import os, signal, subprocess, sys, time\n" + textwrap.dedent(body)


POLITE = program(
    """
    def stop(*_):
        print("draining", flush=True)
        time.sleep(1.0)
        print("drained", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    print("hello", flush=True)
    print("to stderr too", file=sys.stderr, flush=True)
    while True:
        time.sleep(0.1)
    """
)
LAST = program(
    """
    def stop(*_):
        print("server stopping", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    print("server up", flush=True)
    while True:
        time.sleep(0.1)
    """
)
STUBBORN = program(
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    print(f"grandchild {child.pid}", flush=True)
    while True:
        time.sleep(0.1)
    """
)
CRASHER = program('print("about to fail", flush=True)\nsys.exit(3)')


@contextmanager
def supervised(
    tmp_path: Path, parts: list[dict[str, Any]], stop_within: float = 6
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    log = tmp_path / "serve.log"
    spec = json.dumps({"parts": parts, "stop_within": stop_within})
    with open(log, "w") as sink:
        driver = subprocess.Popen(
            [sys.executable, "-c", DRIVER, spec],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # as a terminal's job: its own session and group
        )
    try:
        yield driver, log
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait(10)


def wait_for(log: Path, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while text not in (found := log.read_text()):
        assert time.monotonic() < deadline, f"no {text!r} in:\n{found}"
        time.sleep(0.05)
    return found


def stopped(driver: subprocess.Popen[str], timeout: float = 15) -> int:
    code = driver.wait(timeout)
    deadline = time.monotonic() + 5
    while in_session(driver.pid) and time.monotonic() < deadline:  # reaped by init meanwhile
        time.sleep(0.05)
    assert in_session(driver.pid) == [], in_session(driver.pid)
    return code


def test_ctrl_c_stops_the_parts_in_order_and_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C reaches the terminal's foreground group: the supervisor alone (its parts are in a
    group of their own), which stops phase 0 (the runner, one that ignores SIGTERM), then
    phase 1 (the server); the stubborn part and its grandchild are killed; nothing is left."""
    parts = [
        {"name": "flows", "code": POLITE},
        {"name": "stuck", "code": STUBBORN},
        {"name": "server", "code": LAST, "phase": 1},
    ]
    with supervised(tmp_path, parts, stop_within=6) as (driver, log):
        wait_for(log, "server | server up")
        wait_for(log, "flows  | to stderr too")
        text = wait_for(log, "stuck  | grandchild ")
        groups = {g for _, g, _ in in_session(driver.pid)} - {driver.pid}
        assert len(groups) == 1  # every part and the grandchild: one group, not the driver's
        os.killpg(driver.pid, signal.SIGINT)  # what the terminal does
        assert stopped(driver) == 0
    text = log.read_text()
    lines = text.splitlines()
    assert "flows  | hello" in lines and "server | server up" in lines
    assert "serve  | stopping: flows, stuck then server" in lines
    assert lines.index("flows  | drained") < lines.index("server | server stopping")
    assert "serve  | stuck did not stop in time: killed" in lines
    assert lines[-1].startswith("serve  | stopped in ")


def test_a_part_that_dies_is_restarted_with_backoff_and_sigterm_stops_all(
    tmp_path: Path,
) -> None:
    parts = [{"name": "web", "code": CRASHER}, {"name": "flows", "code": POLITE}]
    with supervised(tmp_path, parts) as (driver, log):
        wait_for(log, "restarting web in 0.8 s (restart 3)")
        driver.send_signal(signal.SIGTERM)  # systemd's stop, to the main process
        assert stopped(driver) == 0
    lines = log.read_text().splitlines()
    assert "web   | about to fail" in lines  # prefixes as wide as the longest name
    assert "serve | web exited with status 3 after 0 s" in lines
    for n, pause in ((1, "0.2"), (2, "0.4"), (3, "0.8")):
        assert f"serve | restarting web in {pause} s (restart {n})" in lines
    assert "flows | drained" in lines  # the healthy part ran on, then stopped cleanly


def test_a_part_waits_for_the_one_it_needs_to_answer(tmp_path: Path) -> None:
    ready = tmp_path / "answers"
    server = program(f'time.sleep(1.0)\nopen({str(ready)!r}, "w").close()\n') + LAST
    parts = [
        {"name": "server", "code": server, "ready_file": str(ready), "phase": 1},
        {"name": "flows", "code": POLITE, "after": ["server"]},
    ]
    with supervised(tmp_path, parts) as (driver, log):
        wait_for(log, "flows  | hello")
        driver.send_signal(signal.SIGTERM)
        assert stopped(driver) == 0
    lines = log.read_text().splitlines()
    waits = lines.index("serve  | flows waits for server to answer")
    started = next(n for n, line in enumerate(lines) if line.startswith("serve  | flows started"))
    assert len(lines[started]) < 260  # a command given on many lines is shown on one
    assert waits < lines.index("server | server up") < started
