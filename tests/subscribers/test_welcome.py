"""The welcome mail through SendGrid's real client, at most once: a crash (SIGKILL) after it is
recorded and handed over never sends it again; an answer lost on the wire is never repeated;
a refusal is tried again on the next `add --welcome`; off, no issue yet, or the issue had
already: nothing goes. Its events name only `mail: welcome`, never the issue's audience."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.send import send_issue
from newsletter.domain.welcome import WelcomeStatus
from newsletter.services import subscribe, welcome
from newsletter.services.welcome import Outcome
from newsletter.store import Store
from tests.support.deliveries import add_issue, add_people, token
from tests.support.sendgrid_server import API_KEY, MAIL_SEND, Fault, SendGridServer
from tests.support.stores import app_with, migrated

ADDRESS = "newcomer@example.org"
DELIVERY = {
    "NEWSLETTER_FROM": "The Editor <editor@news.example>",
    "NEWSLETTER_BASE_URL": "https://news.example",
    "NEWSLETTER_SECRET": "welcome-secret",
    "SENDGRID_API_KEY": API_KEY,
}


def sent_issue(store: Store) -> None:
    """Issue 1, sent (to nobody: the list was empty then)."""
    add_issue(store)
    assert store.finish_issue(1)


def test_a_crash_after_the_welcome_is_recorded_never_sends_it_twice(tmp_path: Path) -> None:
    """`subscribers add --welcome` killed while SendGrid holds its request: the run after it
    finds the welcome pending and sends nothing; the reader has exactly one."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with migrated(url) as store:
        sent_issue(store)
    config = tmp_path / "newsletter.toml"
    config.write_text("[welcome]\nsubject = 'Hello from {site}'\n", encoding="utf-8")
    command = [sys.executable, "-m", "newsletter.cli", "subscribers", "add", ADDRESS, "--welcome"]
    # the answer comes 3 s after the request is taken: the window the kill lands in
    with SendGridServer(latency=3.0) as server:
        env = {
            **DELIVERY,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "NEWSLETTER_DATABASE_URL": url,
            "NEWSLETTER_CONFIG": str(config),
            "SENDGRID_API_HOST": server.url,
        }
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while server.requests.get(MAIL_SEND, 0) == 0:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert "it may have gone, so it is not sent again" in again.stdout
        while not server.accepted:  # the killed request, taken before the kill, goes out
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert server.requests[MAIL_SEND] == 1
        (mail,) = server.accepted
    assert [(a, args) for a, args, _ in server.delivered()] == [(ADDRESS, {"mail": "welcome"})]
    assert mail.body is not None and mail.body["subject"] == "Hello from The Editor"
    assert mail.body["categories"] == ["welcome"]  # never the issue's audience or counts
    with migrated(url) as store:
        newcomer = store.subscriber_by_email(ADDRESS)
        assert newcomer is not None
        assert store.welcome_of(newcomer.id).status is WelcomeStatus.PENDING  # type: ignore[union-attr]


def test_each_welcome_goes_at_most_once_and_only_when_it_should(
    sendgrid_server: SendGridServer, tmp_path: Path
) -> None:
    config = tmp_path / "newsletter.toml"
    config.write_text("", encoding="utf-8")  # every default: [welcome] on
    settings = {
        "from_address": DELIVERY["NEWSLETTER_FROM"],
        "base_url": DELIVERY["NEWSLETTER_BASE_URL"],
        "secret": DELIVERY["NEWSLETTER_SECRET"],
        "sendgrid_api_key": API_KEY,
        "sendgrid_api_host": sendgrid_server.url,
        "config": config,
    }
    with migrated(f"sqlite:///{tmp_path / 'store.db'}") as store:
        app = app_with(store, **settings)
        reader = add_people(store, 1)[0]  # gets issue 1 with the list
        early = subscribe.add(app, "early@example.org").subscriber.id
        assert welcome.welcome(app, early).outcome is Outcome.NO_ISSUE  # nothing sent yet
        send_issue(store, add_issue(store), OutboxBackend(tmp_path / "box"), token)  # to both
        first = store.subscriber_by_email(reader)
        assert first is not None
        assert welcome.welcome(app, first.id).outcome is Outcome.HAS_ISSUE

        lost = subscribe.add(app, "lost@example.org").subscriber.id
        sendgrid_server.drop_after_accept()  # SendGrid took it; the answer never came
        assert welcome.welcome(app, lost).outcome is Outcome.UNKNOWN
        assert welcome.welcome(app, lost).outcome is Outcome.ALREADY  # never repeated
        assert sendgrid_server.requests[MAIL_SEND] == 1

        refused = subscribe.add(app, "refused@example.org").subscriber.id
        sendgrid_server.inject(Fault(400))
        failed = welcome.welcome(app, refused)
        assert failed.outcome is Outcome.FAILED and "HTTP 400" in failed.message
        assert welcome.welcome(app, refused).sent  # surely not sent, so tried again
        assert welcome.welcome(app, refused).outcome is Outcome.ALREADY

        config.write_text("[welcome]\nenabled = false\n", encoding="utf-8")
        off = subscribe.add(app_with(store, **settings), "off@example.org").subscriber.id
        assert welcome.welcome(app_with(store, **settings), off).outcome is Outcome.OFF
        assert store.welcome_of(off) is None
    delivered = sorted(
        a for a, args, _ in sendgrid_server.delivered() if args == {"mail": "welcome"}
    )
    assert delivered == ["lost@example.org", "refused@example.org"]
