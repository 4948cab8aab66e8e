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
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.deliveries import add_emails, add_issue, add_people
from tests.support.sendgrid_server import API_KEY, Fault, SendGridServer
from tests.support.smtp_server import SMTPServer
from tests.support.stores import migrated
from tests.support.subject_test import (
    B_SUBJECT,
    READERS,
    play_signed,
    prepare,
    sendgrid_subjects,
    smtp_subjects,
)

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


def _command(backend: str = "sendgrid", *flags: str) -> list[str]:
    send = [sys.executable, "-m", "newsletter.cli", "send", "--issue", "1"]
    return [*send, "--backend", backend, *flags]


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


def _run_to_end(env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command) or _command(), env=env, capture_output=True, text=True, timeout=120
    )


def _diff(delivered: Counter[str], emails: list[str]) -> str:
    missing = [e for e in emails if e not in delivered]
    twice = [e for e, n in delivered.items() if n > 1]
    extra = [e for e in delivered if e not in set(emails)]
    return f"missing {len(missing)} {missing[:3]}, twice {len(twice)} {twice[:3]}, unexpected {extra[:3]}"


@pytest.mark.parametrize("backend", ["sendgrid", "smtp"])
def test_a_subject_test_reaches_everyone_once_despite_a_kill_in_each_phase(
    backend: str, tmp_path: Path
) -> None:
    """A subject test's sample (200 of 1,000, two subjects) killed mid-send and resumed, its
    signed events making B win, then the rest killed mid-send and resumed: nobody in the
    sample gets the issue again, nobody is missed. SendGrid: everyone exactly once. SMTP:
    only messages on the wire at a kill (one per connection) may go twice, and a second copy
    is the same message (its Message-ID, its subject)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with migrated(url) as store:
        record, config = prepare(store, tmp_path)
    with ExitStack() as stack:
        if backend == "sendgrid":
            server = stack.enter_context(SendGridServer(validate="full", latency=0.05))
            env = {**_env(url, server.url), "NEWSLETTER_CONFIG": str(config)}
            progress: Callable[[], int] = lambda: server.recipient_count  # noqa: E731
        else:
            smtp = stack.enter_context(SMTPServer())
            env = {**_env(url, ""), "NEWSLETTER_CONFIG": str(config)}
            env["SMTP_URL"] = f"smtp://{smtp.host}:{smtp.port}?tls=none"
            progress = lambda: len(smtp.messages)  # noqa: E731
        sample_at = _kill_once(_command(backend, "--test-subjects"), env, progress, after=60)
        assert _run_to_end(env, *_command(backend, "--test-subjects")).returncode == 0
        with migrated(url) as store:
            sample = store.sent_with_variants(1)
            play_signed(store, tmp_path, record, sample)
        rest_at = _kill_once(_command(backend, "--now"), env, progress, after=sample_at + 300)
        finished = _run_to_end(env, *_command(backend, "--now"))
        assert finished.returncode == 0, finished.stderr
        assert "the rest got «" + B_SUBJECT + "»" in finished.stdout, finished.stdout
        received = sendgrid_subjects(server) if backend == "sendgrid" else smtp_subjects(smtp)
    assert sample_at < 200 and sample_at + 300 <= rest_at < READERS  # each kill was mid-phase
    variant = {email: v for _, email, v in sample}
    assert len(variant) == 200 and set(received) == {
        f"reader{n}@example.org" for n in range(READERS)
    }
    twice = 0
    for address, copies in received.items():
        expected = {None: B_SUBJECT, 1: B_SUBJECT}.get(variant.get(address), record.title)
        if backend == "sendgrid":
            assert copies == [expected], address
        else:
            assert {subject for subject, _ in copies} == {expected}, address
            assert len({message_id for _, message_id in copies}) == 1, address
            twice += len(copies) - 1
    assert twice <= 2 * CONCURRENCY  # at most the messages on the wire at the two kills
    with migrated(url) as store:
        assert store.delivery_counts(1) == {"sent": READERS}
        test = store.subject_test(1)
        assert test is not None and test.decision is not None and test.winner == B_SUBJECT


def _kill_once(
    command: list[str], env: dict[str, str], progress: Callable[[], int], after: int
) -> int:
    """Start the send, SIGKILL it once `progress()` passes `after`; what it had reached."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while progress() < after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the send ended before it could be killed"
    return progress()
