"""Several batches in flight: overlap, a shared rate limit, failures that stall no one, and
every pending batch settled after a crash. The official client against the local server."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.delivery.backends import Accepted
from newsletter.delivery.backends.sendgrid import SendGridBackend
from newsletter.delivery.backends.sendgrid_body import Tracking, body_json
from newsletter.delivery.message import Envelope, personal
from newsletter.delivery.send import send_issue
from newsletter.domain.delivery import Recipient
from newsletter.store import Store
from newsletter.tokens import TokenSigner, make_token
from tests.support.clock import FakeClock
from tests.support.deliveries import HTML, SECRET, SENDER, TEXT, add_issue, add_people, token
from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.stores import migrated

ENVELOPE = Envelope.for_issue(1, "Issue", HTML, TEXT, SENDER)


def no_settle(*_: object) -> None:
    """SendGrid answers for whole batches: it never settles message by message."""


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with migrated(f"sqlite:///{tmp_path / 'store.db'}") as store:
        yield store


def received(server: SendGridServer) -> Counter[str]:
    return Counter(address for address, _, _ in server.delivered())


def test_n_requests_are_in_flight_at_once(sqlite_store: Store) -> None:
    """8 in flight against 200 ms round trips: the server sees 8 at once, the send takes
    about a quarter of one-at-a-time, and everyone gets one copy."""
    envelope = add_issue(sqlite_store)
    emails = add_people(sqlite_store, 320)
    with SendGridServer(validate="full", latency=0.2) as server:
        sending = SendGridBackend(API_KEY, host=server.url, batch_size=10, concurrency=8)
        start = time.monotonic()
        report = send_issue(sqlite_store, envelope, sending, token)
        elapsed = time.monotonic() - start
        assert server.peak_sending == 8
    assert (report.sent, report.requests, report.concurrency) == (320, 32, 8)
    assert elapsed < 32 * 0.2 / 3  # one at a time: 6.4 s of round trips alone
    assert received(server) == Counter({e: 1 for e in emails})


def test_the_providers_window_is_honoured_by_all_requests_together(sqlite_store: Store) -> None:
    """A quota of 6 Mail Sends a second, announced in X-RateLimit-*: once the first answers
    tell the budget, 8 threads keep to it together and SendGrid stops answering 429."""
    envelope = add_issue(sqlite_store)
    emails = add_people(sqlite_store, 150)
    with SendGridServer(validate="sample") as server:
        server.quota(6, window=1.0, path="/v3/mail/send")
        sending = SendGridBackend(API_KEY, host=server.url, batch_size=10, concurrency=8)
        send_issue(sqlite_store, envelope, sending, token)
        refused = server.quota_refused
    assert received(server) == Counter({e: 1 for e in emails})
    # Only requests sent before any answer told the budget (the first wave) can overrun it;
    # without the shared budget every window would refuse 2 of 8.
    assert refused <= 8


@pytest.mark.parametrize("fault", ["fail_503", "drop_after_accept", "rate_limit"])
def test_faults_with_8_in_flight_lose_and_repeat_no_one(sqlite_store: Store, fault: str) -> None:
    """5xx and dropped answers back off that request only (cancelled, sent again); 429 holds
    all of them as told. Everyone still gets exactly one copy."""
    envelope = add_issue(sqlite_store)
    emails = add_people(sqlite_store, 200)
    with SendGridServer(validate="sample", latency=0.05) as server:
        if fault == "fail_503":
            server.fail(503, times=5)
        elif fault == "drop_after_accept":
            server.drop_after_accept(times=5)
        else:
            server.rate_limit(times=5, retry_after=2)
        clock = FakeClock(time.time())
        sending = SendGridBackend(
            API_KEY, host=server.url, batch_size=10, concurrency=8, sleep=clock.sleep, clock=clock
        )
        report = send_issue(sqlite_store, envelope, sending, token)
        cancelled = server.cancelled_batches()
    assert report.sent == 200
    assert received(server) == Counter({e: 1 for e in emails})
    if fault == "rate_limit":
        assert 2.0 in clock.sleeps and not cancelled
    else:
        assert len(cancelled) == 5  # each unknown outcome taken back, then sent again


def test_every_pending_batch_a_crash_left_is_settled_before_anything_new(
    sqlite_store: Store,
) -> None:
    """A crash with 8 batches in flight, 5 of them already accepted by SendGrid: the next
    run cancels all 8 and sends their people again, once each."""
    envelope = add_issue(sqlite_store)
    emails = add_people(sqlite_store, 100)
    with SendGridServer(validate="sample") as server:
        sending = SendGridBackend(API_KEY, host=server.url, batch_size=10, concurrency=8)
        sqlite_store.enqueue(1)
        batches = [
            sqlite_store.claim(1, sending.new_batch_id(), "sendgrid", 10, after=10 * n).batch
            for n in range(8)
        ]
        for batch in batches[:5]:  # on the wire when the process died: accepted, unrecorded
            assert isinstance(sending.send(envelope, batch, token, no_settle), Accepted)
        assert len(sqlite_store.pending_batches(1)) == 8
        report = send_issue(sqlite_store, envelope, sending, token)
        cancelled = server.cancelled_batches()
    assert (report.recovered, report.sent) == (80, 100)
    assert {b.batch_id for b in batches} <= cancelled
    assert received(server) == Counter({e: 1 for e in emails})
    assert sqlite_store.pending_batches(1) == []


def test_the_written_body_is_the_json_of_what_each_reader_gets() -> None:
    """Names with quotes, backslashes, markup, line breaks and any script come out as the
    same JSON the dicts would give; the HTML name is escaped, the text name is not."""
    names = ['Ada "the" Lovelace', "back\\slash", "<b>Bold</b> & co", "Zoë 李", "tab\there", None]
    people = [
        personal(ENVELOPE, Recipient(n + 1, f"r{n}@example.org", name), token)
        for n, name in enumerate(names)
    ]
    body = json.loads(body_json(ENVELOPE, people, batch_id="b1", send_at=1_800_000_000))
    assert body["batch_id"] == "b1" and body["send_at"] == 1_800_000_000
    assert body["tracking_settings"] == {
        "click_tracking": {"enable": True, "enable_text": False},
        "open_tracking": {"enable": True},
    }
    first = body["personalizations"][0]
    # in To: a name loses what builds address lists (quotes too); the greeting keeps it all
    assert first["to"] == [{"email": "r0@example.org", "name": "Ada the Lovelace"}]
    assert first["substitutions"]["%%name%%"] == 'Ada "the" Lovelace'
    assert body["personalizations"][2]["substitutions"]["%%name_html%%"] == (
        "&lt;b&gt;Bold&lt;/b&gt; &amp; co"
    )
    assert body["personalizations"][4]["to"][0]["name"] == "tab here"  # one line, no controls
    assert body["personalizations"][5]["to"] == [{"email": "r5@example.org"}]
    assert first["custom_args"] == {"issue": "1", "subscriber": "1"}
    quiet = json.loads(
        body_json(ENVELOPE, people, batch_id=None, send_at=None, tracking=Tracking(False, False))
    )
    assert "batch_id" not in quiet and "send_at" not in quiet
    assert quiet["tracking_settings"]["open_tracking"] == {"enable": False}


def test_the_fast_signer_makes_the_same_tokens() -> None:
    sign = TokenSigner(SECRET)
    assert [sign(n) for n in (0, 1, 99, 10**12)] == [
        make_token(n, SECRET) for n in (0, 1, 99, 10**12)
    ]
    with pytest.raises(ValueError):
        sign(-1)
