"""What every retrying client here agrees on: reading Retry-After, and jittered backoff."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date) at unix
    time `now`; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf" and "nan" parse as floats: an answer must not hold requests forever
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def full_jitter(rng: random.Random, attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Seconds before retry `attempt + 1`: uniform up to an exponential ceiling, so that many
    clients failing together do not come back together ("full jitter")."""
    return rng.uniform(0.0, min(cap, base * 2**attempt))
