"""A subject test over the real send path: the demo week's issue, 1,000 readers, two subject
lines, a signed SendGrid event stream in which readers given the second subject open (and so
click) far more, and what each address received, per backend."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from newsletter.demo.events import Reader, synthetic_stream
from newsletter.domain.issue import IssueRecord
from newsletter.store import Store
from newsletter.tokens import make_token
from tests.support.deliveries import add_emails, add_people
from tests.support.engagement import golden_record, save_record
from tests.support.sendgrid_schema import MailValidator
from tests.support.sendgrid_server import SendGridServer
from tests.support.signer import Signer
from tests.support.smtp_server import SMTPServer
from tests.support.web_site import SECRET, running_site

READERS = 1000
A, B = "{title}", "Ten minutes of LLM research: the {week}"
B_SUBJECT = "Ten minutes of LLM research: the Fourth Week of November 2024"
CONFIG = f"""
[subject_test]
subjects = ["{A}", "{B}"]
sample = 0.2
wait_hours = 4
metric = "clicks"
min_per_variant = 100
"""
APPEAL = {0: 0.5, 1: 2.0}  # B's readers open it four times as often, and so click more


def prepare(store: Store, folder: Path) -> tuple[IssueRecord, Path]:
    """The demo week's issue as a draft, 1,000 active readers and one who left, and a
    newsletter.toml with the test; (the issue's record, the newsletter.toml)."""
    record = golden_record()
    save_record(store, record)
    add_people(store, READERS)
    add_emails(store, ["gone@example.org"], "unsubscribed")
    config = folder / "newsletter.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return record, config


def play_signed(
    store: Store, folder: Path, record: IssueRecord, sample: list[tuple[int, str, int | None]]
) -> list[set[int]]:
    """The sample's SendGrid events, signed, posted to the real web app; the clickers on the
    issue's content the stream holds, per variant (what the report must count)."""
    signer = Signer()
    with running_site(store, folder, sendgrid_webhook_public_key=signer.public) as site:
        readers = [Reader(i, e, f"{site.url}/u/{make_token(i, SECRET)}", v) for i, e, v in sample]
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=6)
        stream = synthetic_stream(record, readers, base_url=site.url, start=start, appeal=APPEAL)
        for post in stream.posts:
            answer = signer.post(site, post, int(time.time()))
            assert answer.status_code == 200, answer.text
    variant = {r.subscriber_id: r.variant for r in readers}
    clickers: list[set[int]] = [set(), set()]
    for post in stream.posts:
        for event in post:
            if event["event"] == "click" and _on_content(event["url"], site.url):
                who = int(event["subscriber"])
                clickers[variant[who] or 0].add(who)
    return clickers


def _on_content(url: str, base: str) -> bool:
    """Not the view-in-browser nor the unsubscribe link (the report counts those apart)."""
    return not url.startswith((f"{base}/issues/", f"{base}/u/"))


def sendgrid_subjects(server: SendGridServer) -> dict[str, list[str]]:
    """Each address's subjects, from every Mail Send body the server holds and did not see
    cancelled; each body checked against SendGrid's OpenAPI schema once more."""
    cancelled = server.cancelled_batches()
    validator = MailValidator("full")
    found: dict[str, list[str]] = defaultdict(list)
    for record in server.accepted:
        body = record.body
        assert body is not None, "start the server with keep_bodies=True"
        assert validator.errors(body) == [], validator.errors(body)
        if record.batch_id in cancelled:
            continue
        for personal in body["personalizations"]:
            subject = personal.get("subject", body["subject"])
            found[personal["to"][0]["email"].lower()].append(subject)
    return dict(found)


def smtp_subjects(server: SMTPServer) -> dict[str, list[tuple[str, str]]]:
    """Each address's (subject, Message-ID) of every message the server took."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for message in server.messages:
        parsed: Any = email.message_from_bytes(message.data, policy=email.policy.default)
        for address in message.rcpt_tos:
            found[address.lower()].append((str(parsed["Subject"]), str(parsed["Message-ID"])))
    return dict(found)
