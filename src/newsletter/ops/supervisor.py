"""A small process supervisor: `newsletter serve`'s parts as children, one log stream,
restarts with backoff, and an ordered stop.

- **One process group.** Every child joins one process group of their own (the supervisor
  stays out of it, so a terminal's Ctrl-C reaches the supervisor alone and it stops the
  children in order); whatever a child starts (a flow run's process) is in that group too,
  and the last step of a stop kills whatever of the group is left.
- **One log stream.** Each line a child writes (stdout and stderr) is written to the
  supervisor's output, prefixed by the part's name: `web     | …`.
- **Restarts.** A child that exits while nothing asked it to is started again after a pause
  that doubles from `backoff` up to `max_backoff` seconds, and starts over at `backoff` once
  the child has run `stable` seconds; each exit and restart is logged.
- **Ordered stop.** SIGTERM, SIGINT or SIGHUP: the children are asked to stop (SIGTERM) phase
  by phase, each phase given until its share of `stop_within` seconds (the flows' runner
  first, so it can record its runs as cancelled while Prefect's server still answers; the
  server last), then anything left is killed. A second signal kills at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
TICK = 0.2  # seconds between two looks at the children


@dataclass(frozen=True, slots=True)
class Part:
    """One child: what runs, with which environment, when it may start and when it stops."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    ready: Callable[[], bool] | None = None  # whether it answers yet (others may wait for it)
    after: tuple[str, ...] = ()  # parts that must be ready before this one starts
    stop_phase: int = 0  # lower phases are stopped first


@dataclass(slots=True)
class _Child:
    part: Part
    popen: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    delay: float = 0.0  # the next restart's pause
    due: float = 0.0  # when it may start (again)
    readers: list[threading.Thread] = field(default_factory=list)
    announced: bool = False  # "waiting for …" said once

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


class Supervisor:
    def __init__(
        self,
        parts: Sequence[Part],
        *,
        cwd: Path,
        out: TextIO,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        stable: float = 60.0,
        stop_within: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise ValueError(f"part names must be unique: {names}")
        self._children = {p.name: _Child(p, delay=backoff) for p in parts}
        self._cwd, self._out = cwd, out
        self._backoff, self._max_backoff, self._stable = backoff, max_backoff, stable
        self._stop_within = stop_within
        self._clock = clock
        self._lock = threading.RLock()  # one line at a time (a signal handler may say one too)
        self._width = max(len(n) for n in [*names, "serve"])
        self._signals = 0
        self._stop = threading.Event()
        self.group: int | None = None  # the children's process group

    # -- the stream ------------------------------------------------------------------------

    def say(self, line: str, name: str = "serve") -> None:
        with self._lock:
            self._out.write(f"{name:<{self._width}} | {line}\n")
            self._out.flush()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.say(raw.decode("utf-8", errors="replace").rstrip("\r\n"), name)
        stream.close()

    # -- running -----------------------------------------------------------------------------

    def run(self) -> int:
        """Start the parts and keep them running until a stop signal; 0 once all stopped."""
        previous = {s: signal.signal(s, self._on_signal) for s in STOP_SIGNALS}
        try:
            while not self._stop.is_set():
                self._tick()
                self._stop.wait(TICK)
            self._stop_all()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._kill_group()
        return 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._signals += 1
        if self._signals > 1:  # asked again while stopping: no more waiting
            self.say(f"{signal.Signals(signum).name} again: killing every part now")
            self._kill_group()
        self._stop.set()

    def _tick(self) -> None:
        now = self._clock()
        self._forget_empty_group()
        for child in self._children.values():
            if child.running:
                continue
            if child.popen is not None:
                self._exited(child, now)
            elif now >= child.due and self._may_start(child):
                self._start(child, now)

    def _may_start(self, child: _Child) -> bool:
        waiting = [name for name in child.part.after if not self._ready(self._children[name])]
        if waiting and not child.announced:
            self.say(f"{child.part.name} waits for {', '.join(waiting)} to answer")
            child.announced = True
        return not waiting

    @staticmethod
    def _ready(child: _Child) -> bool:
        if not child.running:
            return False
        check = child.part.ready
        return check is None or check()

    def _start(self, child: _Child, now: float) -> None:
        part = child.part
        try:
            child.popen = self._spawn(part)
        except OSError as exc:
            self.say(f"{part.name} could not start: {exc}")
            self._schedule_restart(child, now, ran=0.0)
            return
        child.started, child.announced = now, False
        shown = " ".join(" ".join(part.command).split())  # one line, however it was given
        self.say(f"{part.name} started (pid {child.popen.pid}): {shown[:200]}")
        assert child.popen.stdout is not None
        reader = threading.Thread(
            target=self._pump, args=(part.name, child.popen.stdout), daemon=True
        )
        reader.start()
        child.readers.append(reader)

    def _spawn(self, part: Part) -> subprocess.Popen[bytes]:
        """The child, in the children's group (made by the first of them, or again by the next
        to start once every member is gone)."""

        def popen(group: int) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                list(part.command),
                cwd=self._cwd,
                env=dict(part.env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                process_group=group,
            )

        if self.group is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                return popen(self.group)  # fails when the group has no member left
        started = popen(0)
        self.group = started.pid
        return started

    def _exited(self, child: _Child, now: float) -> None:
        assert child.popen is not None
        code = child.popen.returncode
        ran = now - child.started
        child.popen = None
        self._join_readers(child, 1.0)
        self.say(f"{child.part.name} exited with {_status(code)} after {ran:.0f} s")
        self._schedule_restart(child, now, ran)

    def _schedule_restart(self, child: _Child, now: float, ran: float) -> None:
        if ran >= self._stable:
            child.delay = self._backoff  # it had been running well: start over
        child.restarts += 1
        child.due = now + child.delay
        self.say(f"restarting {child.part.name} in {child.delay:g} s (restart {child.restarts})")
        child.delay = min(child.delay * 2, self._max_backoff)

    # -- stopping ----------------------------------------------------------------------------

    def _stop_all(self) -> None:
        started = self._clock()
        deadline = started + self._stop_within - 1.0  # the last second is for killing
        phases = sorted({c.part.stop_phase for c in self._children.values()})
        self.say("stopping: " + " then ".join(self._phase_names(p) for p in phases))
        for n, phase in enumerate(phases):
            members = [c for c in self._children.values() if c.part.stop_phase == phase]
            for child in members:
                if child.running:
                    assert child.popen is not None
                    with contextlib.suppress(ProcessLookupError):
                        child.popen.send_signal(signal.SIGTERM)
            # each phase may take until its share of what is left, the last one all of it
            share = (deadline - self._clock()) / (len(phases) - n)
            until = self._clock() + max(share, 0.0)
            for child in members:
                self._wait(child, until)
        self._kill_group()
        for child in self._children.values():
            self._join_readers(child, 1.0)
        self.say(f"stopped in {self._clock() - started:.1f} s")

    def _phase_names(self, phase: int) -> str:
        names = [c.part.name for c in self._children.values() if c.part.stop_phase == phase]
        return ", ".join(names)

    def _wait(self, child: _Child, until: float) -> None:
        if child.popen is None:
            return
        try:
            code = child.popen.wait(max(until - self._clock(), 0.0))
            self.say(f"{child.part.name} stopped ({_status(code)})")
        except subprocess.TimeoutExpired:
            self.say(f"{child.part.name} did not stop in time: killed")
            with contextlib.suppress(ProcessLookupError):
                child.popen.kill()
            child.popen.wait()

    def _kill_group(self) -> None:
        """Whatever of the children's group is left (a flow run's process, a stuck child)."""
        if self.group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.group, signal.SIGKILL)

    def _forget_empty_group(self) -> None:
        """Once the group has no member its number may be reused by another process: forget
        it (checked every tick, long before process numbers wrap around)."""
        if self.group is None or any(c.running for c in self._children.values()):
            return
        try:
            os.killpg(self.group, 0)
        except ProcessLookupError:
            self.group = None
        except PermissionError:  # the number is someone else's already
            self.group = None

    @staticmethod
    def _join_readers(child: _Child, timeout: float) -> None:
        for reader in child.readers:
            reader.join(timeout)
        child.readers = [r for r in child.readers if r.is_alive()]


def _status(code: int | None) -> str:
    if code is None:
        return "no status"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-code).name}"
    return f"status {code}"
