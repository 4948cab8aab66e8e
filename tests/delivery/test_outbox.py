"""Sending through the outbox: the ledger, exactly once, and messages as real MIME files."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from pathlib import Path

from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.send import send_issue
from newsletter.render.placeholders import UNSUBSCRIBE_PLACEHOLDER
from newsletter.store import Store
from newsletter.tokens import read_token
from tests.support.deliveries import SECRET, add_emails, add_issue, add_people, token


def test_every_active_subscriber_gets_one_parsable_message(
    any_store: Store, tmp_path: Path
) -> None:
    """Each active subscriber gets one .eml with text and HTML parts and one-click unsubscribe headers."""
    envelope = add_issue(any_store)
    add_people(any_store, 25)
    outbox = OutboxBackend(tmp_path / "outbox")
    report = send_issue(any_store, envelope, outbox, token)
    assert (report.sent, report.failed, report.skipped) == (25, 0, 0)
    files = sorted((tmp_path / "outbox" / "issue-1").glob("*.eml"))
    assert len(files) == 25
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"].addresses[0].addr_spec == "reader0@example.org"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mailto, https = [part.strip(" <>") for part in msg["List-Unsubscribe"].split(",")]
    assert mailto.startswith("mailto:editor@news.example?subject=unsubscribe%20")
    assert https.startswith("https://news.example/u/")
    assert read_token(https.rsplit("/", 1)[1], SECRET, "unsubscribe") == 1
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert https in html and https in text and UNSUBSCRIBE_PLACEHOLDER not in html + text
    assert "https://news.example/issues/1" in html and "Hello Reader 0" in html
    assert any_store.get_issue(1).status == "sent"  # type: ignore[union-attr]


def test_sending_again_sends_nothing_twice(any_store: Store, tmp_path: Path) -> None:
    """A second run for the same issue reaches only subscribers who joined since."""
    envelope = add_issue(any_store)
    add_people(any_store, 10)
    outbox = OutboxBackend(tmp_path / "outbox")
    send_issue(any_store, envelope, outbox, token)
    add_people(any_store, 3, start=10)
    again = send_issue(any_store, envelope, outbox, token)
    assert again.sent == 3
    assert any_store.delivery_counts(1) == {"sent": 13}


def test_only_active_subscribers_receive(any_store: Store, tmp_path: Path) -> None:
    """Pending, unsubscribed, bounced and complained people never get the issue."""
    envelope = add_issue(any_store)
    add_people(any_store, 2)
    for status in ("pending", "unsubscribed", "bounced", "complained"):
        add_emails(any_store, [f"{status}@example.org"], status)
    send_issue(any_store, envelope, OutboxBackend(tmp_path / "o"), token)
    files = (tmp_path / "o" / "issue-1").glob("*.eml")
    sent_to = {
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["To"]
        .addresses[0]
        .addr_spec
        for p in files
    }
    assert sent_to == {"reader0@example.org", "reader1@example.org"}


def test_someone_who_leaves_mid_send_is_skipped(any_store: Store, tmp_path: Path) -> None:
    """The audience is fixed when the send starts, but a later unsubscribe is honoured."""
    envelope = add_issue(any_store)
    add_people(any_store, 5)
    any_store.enqueue(1)
    with any_store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE subscribers SET status = 'unsubscribed' WHERE id = 3")
    report = send_issue(any_store, envelope, OutboxBackend(tmp_path / "o"), token)
    assert (report.sent, report.skipped) == (4, 1)


def test_limit_sends_part_and_the_next_run_continues(any_store: Store, tmp_path: Path) -> None:
    """--limit stops after N; the issue stays in sending until everyone has had it."""
    envelope = add_issue(any_store)
    add_people(any_store, 12)
    outbox = OutboxBackend(tmp_path / "o")
    first = send_issue(any_store, envelope, outbox, token, limit=5)
    assert first.sent == 5 and first.left == 7
    assert any_store.get_issue(1).status == "sending"  # type: ignore[union-attr]
    rest = send_issue(any_store, envelope, outbox, token)
    assert rest.sent == 7 and any_store.get_issue(1).status == "sent"  # type: ignore[union-attr]


def test_a_crash_after_writing_before_recording_is_recovered(
    any_store: Store, tmp_path: Path
) -> None:
    """Files written but not yet recorded count as sent; the rest of the batch is sent once."""
    envelope = add_issue(any_store)
    add_people(any_store, 6)
    outbox = OutboxBackend(tmp_path / "o")
    any_store.enqueue(1)
    batch = any_store.claim(1, outbox.new_batch_id(), "outbox", 6).batch
    first_four = dataclasses.replace(batch, recipients=batch.recipients[:4])
    outbox.send(envelope, first_four, token, lambda *_: None)  # the crash: 4 files, no record
    report = send_issue(any_store, envelope, outbox, token)
    assert report.recovered == 2 and report.sent == 2
    assert len(list((tmp_path / "o" / "issue-1").glob("*.eml"))) == 6
    assert any_store.delivery_counts(1) == {"sent": 6}
