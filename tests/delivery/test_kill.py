"""Exactly once under kill -9: the sender, 8 batches in flight, is killed at random moments
and restarted until done, while SendGrid answers 429, 5xx and drops answers it accepted."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.deliveries import add_emails, add_issue, add_people
from tests.support.sendgrid_server import API_KEY, Fault, SendGridServer
from tests.support.stores import migrated

SUBSCRIBERS = 6000
BATCH = 10  # small batches: hundreds of requests, so kills land in every phase of one
MID_SEND_KILLS = 22
CONCURRENCY = 8
FAULT_EVERY = 12  # one Mail Send in this many meets a fault, in turn: 429, 503, drop


def _script_faults(server: SendGridServer, rounds: int) -> None:
    """429 / 503 / accept-then-drop spread over the whole send, each after a run of good answers."""
    faults = [
        Fault(429, headers={"Retry-After": "1"}),
        Fault(503),
        Fault(drop=True),
    ]
    for n in range(rounds):
        server.inject(Fault(), times=FAULT_EVERY - 1)  # answered normally
        server.inject(faults[n % len(faults)])


def test_every_active_subscriber_gets_the_issue_exactly_once_despite_kills(tmp_path: Path) -> None:
    """22 SIGKILLs at random moments during a send to 6,000 readers with 8 batches in flight
    and faults on the wire; each reader still gets one copy."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with migrated(url) as store:
        add_issue(store)
        emails = add_people(store, SUBSCRIBERS)
        add_emails(store, ["left@example.org", "bounced@example.org"], "unsubscribed")
    rng = random.Random(20241125)
    # Every answer comes 100 ms after the request was taken: the window a kill can hide.
    with SendGridServer(validate="sample", keep_bodies=False, latency=0.1) as server:
        _script_faults(server, rounds=60)
        env = _env(url, server.url)
        killed_mid_send = runs = 0
        while killed_mid_send < MID_SEND_KILLS and runs < 2 * MID_SEND_KILLS:
            runs += 1
            proc = subprocess.Popen(
                _command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            time.sleep(rng.uniform(0.3, 2.5))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                killed_mid_send += 1
            proc.communicate(timeout=30)
        finals = [_run_to_end(env) for _ in range(3)]
        delivered = Counter(address for address, _, _ in server.delivered())
        cancelled = len(server.cancelled_batches())
        peak = server.peak_sending
    assert killed_mid_send >= 20, f"only {killed_mid_send} kills landed mid-send in {runs} runs"
    assert finals[-1].returncode == 0, finals[-1].stderr
    assert delivered == Counter({e: 1 for e in emails}), _diff(delivered, emails)
    assert peak == CONCURRENCY  # the sends really had 8 batches in flight
    assert cancelled > 0  # the kills did hit batches whose outcome was unknown
    assert server.faults.pending() < 60 * FAULT_EVERY  # the faults were met, not left unused
    with migrated(url) as store:
        assert store.delivery_counts(1) == {"sent": SUBSCRIBERS}
        assert store.get_issue(1).status == "sent"  # type: ignore[union-attr]


def _command() -> list[str]:
    return [sys.executable, "-m", "newsletter.cli", "send", "--issue", "1", "--backend", "sendgrid"]


def _env(database_url: str, sendgrid_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NEWSLETTER_DATABASE_URL": database_url,
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": sendgrid_url,
        "NEWSLETTER_SENDGRID_BATCH_SIZE": str(BATCH),
        "NEWSLETTER_SEND_CONCURRENCY": str(CONCURRENCY),
        "NEWSLETTER_FROM": "The Editor <editor@news.example>",
        "NEWSLETTER_BASE_URL": "https://news.example",
        "NEWSLETTER_SECRET": "kill-test-secret",
        "NEWSLETTER_CONFIG": "/nonexistent.toml",
    }


def _run_to_end(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(), env=env, capture_output=True, text=True, timeout=120)


def _diff(delivered: Counter[str], emails: list[str]) -> str:
    missing = [e for e in emails if e not in delivered]
    twice = [e for e, n in delivered.items() if n > 1]
    extra = [e for e in delivered if e not in set(emails)]
    return f"missing {len(missing)} {missing[:3]}, twice {len(twice)} {twice[:3]}, unexpected {extra[:3]}"
