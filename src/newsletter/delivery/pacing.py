"""One pace for every request a backend has in flight: rate limits and failure backoff.

A provider's rate limit is per account, not per connection, so a 429 on one request
pauses all of them until `Retry-After`; `X-RateLimit-Remaining` / `X-RateLimit-Reset`
on any answer hold new requests back once the window's budget is spent. A failure
(a 5xx, a dropped connection) only delays the request that met it: the others go on.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping

from newsletter.retrying import full_jitter, retry_after

# A reset further out than this is a clock disagreement, not a window: never wait longer.
MAX_RESET_WAIT = 60.0


class Pacer:
    """Shared by the threads of one backend; every method is thread-safe.

    `clock` is wall time (unix seconds): `X-RateLimit-Reset` and a date in `Retry-After`
    are wall times.
    """

    def __init__(
        self,
        *,
        concurrency: int = 1,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.rng = rng or random.Random()
        self.concurrency = concurrency
        self._streak = 0  # requests in a row that failed (5xx, dropped), across the threads
        self._lock = threading.Lock()
        self._resume_at = 0.0  # a 429 holds every request until then
        self._budget: int | None = None  # requests left in the provider's window, if it says
        self._reset_at = 0.0

    def before_request(self) -> None:
        """Wait until a request may start, then count it against the window's budget."""
        while True:
            with self._lock:
                now = self.clock()
                until = self._resume_at
                if self._budget is not None and self._budget <= 0:
                    until = max(until, self._reset_at)
                if until <= now:
                    if self._budget is not None:
                        self._budget = None if now >= self._reset_at else self._budget - 1
                    return
            self.sleep(until - now)

    def rate_limited(self, headers: Mapping[str, str] | None, attempt: int) -> None:
        """A 429: hold every request until the provider says, or back off if it does not."""
        wait = retry_after(headers.get("Retry-After") if headers else None, self.clock())
        if wait is None:
            wait = self._reset_wait(headers)
        if wait is None:
            wait = self.backoff(attempt)
        with self._lock:
            self._resume_at = max(self._resume_at, self.clock() + wait)

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Note the window's budget from any answer's X-RateLimit-* headers."""
        remaining, reset = (
            _header_int(headers, "X-RateLimit-Remaining"),
            _header_int(headers, "X-RateLimit-Reset"),
        )
        if remaining is None or reset is None:
            return
        with self._lock:
            reset_at = min(float(reset), self.clock() + MAX_RESET_WAIT)
            if reset_at >= self._reset_at:  # answers arrive out of order: the newest window wins
                self._reset_at = reset_at
                self._budget = remaining if self._budget is None else min(self._budget, remaining)

    def failed(self) -> float:
        """A request failed (5xx, dropped): seconds its thread waits before going on.

        The ceiling doubles with every round of failures in a row (one round: as many as
        there are requests in flight), so one failure costs ~1 s and an outage backs
        every slot off to 30 s."""
        with self._lock:
            self._streak += 1
            rounds = (self._streak - 1) // self.concurrency + 1
        return full_jitter(self.rng, rounds, base=1.0)

    def succeeded(self) -> None:
        with self._lock:
            self._streak = 0

    def backoff(self, attempt: int) -> float:
        """Seconds before try `attempt + 1` after a failure: full jitter, capped."""
        return full_jitter(self.rng, attempt)

    def _reset_wait(self, headers: Mapping[str, str] | None) -> float | None:
        reset = _header_int(headers, "X-RateLimit-Reset")
        if reset is None:
            return None
        return min(MAX_RESET_WAIT, max(0.0, reset - self.clock()))


def _header_int(headers: Mapping[str, str] | None, name: str) -> int | None:
    value = headers.get(name) if headers else None
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) else None
