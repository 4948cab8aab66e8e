"""A fixed-window request quota, announced the way SendGrid does in X-RateLimit-* headers."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable


class Quota:
    """`limit` requests per `window` seconds; windows start at multiples of `window`."""

    def __init__(self, limit: int, window: float, now: Callable[[], float]) -> None:
        self.limit, self.window, self.now = limit, window, now
        self._lock = threading.Lock()
        self._start = 0.0
        self._used = 0
        self.refused = 0  # requests answered 429 because the quota was spent

    def take(self) -> tuple[bool, dict[str, str]]:
        """(over the quota?, the headers of the answer) for one request."""
        with self._lock:
            now = self.now()
            start = math.floor(now / self.window) * self.window
            if start != self._start:
                self._start, self._used = start, 0
            over = self._used >= self.limit
            if over:
                self.refused += 1
            else:
                self._used += 1
            headers = {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(self.limit - self._used),
                "X-RateLimit-Reset": str(math.ceil(start + self.window)),
            }
        return over, headers
