"""The shared pace of one backend's requests: rate limits hold them all, failures one each."""

from __future__ import annotations

import email.utils
import random
import threading

from newsletter.delivery.pacing import MAX_RESET_WAIT, Pacer
from newsletter.retrying import retry_after
from tests.support.clock import FakeClock

T0 = 1_800_000_000.0


def pacer(clock: FakeClock, concurrency: int = 1) -> Pacer:
    return Pacer(concurrency=concurrency, clock=clock, sleep=clock.sleep, rng=random.Random(7))


def test_a_429_holds_every_request_until_retry_after() -> None:
    """One thread's 429 makes the next request of any thread wait the full Retry-After."""
    clock = FakeClock(T0)
    pace = pacer(clock, concurrency=4)
    pace.rate_limited({"Retry-After": "5"}, attempt=0)
    others = [threading.Thread(target=pace.before_request) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    assert clock.now >= T0 + 5  # the first waiter slept it out; the others found it over
    assert clock.sleeps[0] == 5.0
    pace.before_request()
    assert clock.now < T0 + 5 + 1  # nothing held once the pause is over


def test_retry_after_as_an_http_date_and_without_any_hint() -> None:
    clock = FakeClock(T0)
    pace = pacer(clock)
    pace.rate_limited({"Retry-After": email.utils.formatdate(T0 + 12, usegmt=True)}, 0)
    pace.before_request()
    assert clock.sleeps == [12.0]
    pace.rate_limited({}, attempt=2)  # no header: jittered backoff, never more than 0.5 * 2**2
    pace.before_request()
    assert 0 <= clock.sleeps[-1] <= 2.0


def test_x_ratelimit_reset_is_honoured_once_the_budget_is_spent() -> None:
    """Remaining 2: two requests go at once, the third waits for the window's reset."""
    clock = FakeClock(T0)
    pace = pacer(clock)
    pace.observe({"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": str(int(T0) + 3)})
    pace.before_request()
    pace.before_request()
    assert clock.sleeps == []
    pace.before_request()
    assert clock.sleeps == [3.0]
    pace.before_request()  # a new window: no budget known, nothing held
    assert clock.sleeps == [3.0]


def test_a_429_with_only_x_ratelimit_reset_waits_for_the_reset() -> None:
    clock = FakeClock(T0)
    pace = pacer(clock)
    pace.rate_limited({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(T0) + 4)}, 0)
    pace.before_request()
    assert clock.sleeps == [4.0]


def test_a_reset_far_off_is_a_clock_disagreement_and_is_capped() -> None:
    clock = FakeClock(T0)
    pace = pacer(clock)
    pace.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(T0) + 86_400)})
    pace.before_request()
    assert clock.sleeps == [MAX_RESET_WAIT]


def test_unreadable_headers_are_ignored() -> None:
    clock = FakeClock(T0)
    pace = pacer(clock)
    pace.observe({"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "soon"})
    pace.observe({"X-RateLimit-Remaining": "nan", "X-RateLimit-Reset": "inf"})
    pace.before_request()
    assert clock.sleeps == []
    assert retry_after("tomorrow-ish", T0) is None
    assert retry_after("inf", T0) is None and retry_after("nan", T0) is None
    pace.rate_limited({"Retry-After": "inf"}, attempt=1)  # unreadable: backoff, not forever
    pace.before_request()
    assert clock.sleeps and clock.sleeps[-1] <= 1.0


def test_failures_back_off_per_round_and_a_success_resets() -> None:
    """With 4 in flight, 4 failures are one round: the ceiling doubles per round, to 30 s."""
    clock = FakeClock(T0)
    pace = pacer(clock, concurrency=4)
    first_round = [pace.failed() for _ in range(4)]
    assert all(0 <= wait <= 2.0 for wait in first_round)
    later = [pace.failed() for _ in range(40)]
    assert max(later) <= 30.0 and max(later) > 8.0
    pace.succeeded()
    assert pace.failed() <= 2.0
