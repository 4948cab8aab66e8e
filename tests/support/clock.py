"""A clock that only moves when someone sleeps: waits are recorded, never spent."""

from __future__ import annotations

import threading


class FakeClock:
    """Call it for the time; `sleep` advances it and records the wait (thread-safe)."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
