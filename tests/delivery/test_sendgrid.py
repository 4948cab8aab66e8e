"""Sending through SendGrid: the official client against a SendGrid-compatible local server."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from newsletter.delivery.backends import Resend
from newsletter.delivery.backends.sendgrid import SendGridBackend
from newsletter.delivery.message import Envelope
from newsletter.delivery.send import proof, send_issue
from newsletter.errors import SendError, UnsettledError
from newsletter.store import Store
from newsletter.tokens import VoteRef, read_vote
from tests.support.clock import FakeClock
from tests.support.deliveries import SECRET, SENDER, add_emails, add_issue, add_people, token
from tests.support.paths import GOLDEN
from tests.support.sendgrid_server import API_KEY, SendGridServer


@pytest.fixture
def server() -> Iterator[SendGridServer]:
    with SendGridServer(validate="full") as s:
        yield s


def backend(
    server: SendGridServer, *, key: str = API_KEY, **kw: object
) -> tuple[SendGridBackend, list[float]]:
    """The backend, and the waits it asked for (its clock moves by them: nothing is spent)."""
    clock = FakeClock(time.time())
    made = SendGridBackend(
        key,
        host=server.url,
        sleep=clock.sleep,
        clock=clock,
        timeout=kw.pop("timeout", 5.0),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return made, clock.sleeps


def received(server: SendGridServer) -> Counter[str]:
    return Counter(address for address, _, _ in server.delivered())


def test_everyone_once_in_requests_of_at_most_1000(
    any_store: Store, server: SendGridServer
) -> None:
    """2,500 readers: three schema-valid requests, each with a batch and a send time, ids stored."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 2500)
    add_emails(any_store, ["gone@example.org"], "unsubscribed")
    sending, _ = backend(server)
    report = send_issue(any_store, envelope, sending, token)
    assert (report.sent, report.failed, report.requests) == (2500, 0, 3)
    assert received(server) == Counter({e: 1 for e in emails})
    # in flight together, so answered in any order: in subscriber order here
    bodies = sorted(
        (a.body for a in server.accepted),
        key=lambda b: int(b["personalizations"][0]["custom_args"]["subscriber"]),
    )
    assert [len(b["personalizations"]) for b in bodies] == [1000, 1000, 500]
    first = bodies[0]["personalizations"][0]
    assert bodies[0]["headers"] == {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert first["headers"]["List-Unsubscribe"].startswith(
        "<mailto:editor@news.example?subject=unsubscribe"
    )
    assert first["custom_args"] == {"issue": "1", "subscriber": "1"}
    assert first["substitutions"]["%%unsubscribe_url%%"].startswith("https://news.example/u/")
    assert (
        bodies[0]["categories"] == ["newsletter", "issue-1"]
        and bodies[0]["batch_id"]
        and bodies[0]["send_at"]
    )
    with any_store.engine.connect() as conn:
        ids = {r[0] for r in conn.exec_driver_sql("SELECT DISTINCT provider_id FROM deliveries")}
    assert ids == {a.message_id for a in server.accepted}


def test_a_429_waits_as_told_and_sends_once(any_store: Store, server: SendGridServer) -> None:
    """Retry-After is honoured and nothing is sent twice."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 30)
    server.rate_limit(times=2, retry_after=3)
    sending, waits = backend(server)
    send_issue(any_store, envelope, sending, token)
    assert waits[:2] == [3.0, 3.0]
    assert received(server) == Counter({e: 1 for e in emails})


def test_a_400_fails_that_batch_with_sendgrids_words_and_goes_on(
    any_store: Store, server: SendGridServer
) -> None:
    """One refused batch is recorded failed with SendGrid's message; the others are sent."""
    envelope = add_issue(any_store)
    add_people(any_store, 30)
    server.reject("The from address does not match a verified Sender Identity.", field="from")
    sending, _ = backend(server, batch_size=10)
    report = send_issue(any_store, envelope, sending, token)
    assert (report.sent, report.failed) == (20, 10)
    with any_store.engine.connect() as conn:
        errors = {
            r[0]
            for r in conn.exec_driver_sql("SELECT error FROM deliveries WHERE status = 'failed'")
        }
    assert errors == {"HTTP 400: from: The from address does not match a verified Sender Identity."}


def test_a_bad_key_stops_at_once_and_loses_nothing(
    any_store: Store, server: SendGridServer
) -> None:
    """401 stops with "check SENDGRID_API_KEY"; a rerun with the right key sends everyone once."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 15)
    wrong, _ = backend(server, key="SG.wrong")
    with pytest.raises(SendError, match=r"refused the API key \(401\)") as caught:
        send_issue(any_store, envelope, wrong, token)
    assert caught.value.hint == "check SENDGRID_API_KEY"
    right, _ = backend(server)
    send_issue(any_store, envelope, right, token)
    assert received(server) == Counter({e: 1 for e in emails})


@pytest.mark.parametrize("fault", ["drop_after_accept", "fail_500", "slow"])
def test_an_unknown_outcome_is_cancelled_and_resent_once(
    any_store: Store, server: SendGridServer, fault: str
) -> None:
    """Accepted-then-dropped, 5xx and timeouts: the batch is cancelled and resent under a new one."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 40)
    if fault == "drop_after_accept":
        server.drop_after_accept(times=1)
    elif fault == "fail_500":
        server.fail(500, times=2)
    else:
        server.slow(2.0, times=1)
    sending, _ = backend(server, batch_size=10, timeout=0.5)
    report = send_issue(any_store, envelope, sending, token)
    assert report.sent == 40
    assert received(server) == Counter({e: 1 for e in emails})
    assert server.cancelled_batches()


def test_a_batch_too_late_to_cancel_is_kept_unknown_not_resent(
    any_store: Store, server: SendGridServer
) -> None:
    """If SendGrid can no longer cancel, the batch is never resent and the summary says so."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 20)
    server.drop_after_accept(times=1)
    hasty, _ = backend(server, batch_size=10, send_delay=300)  # inside SendGrid's 10-minute window
    with pytest.raises(UnsettledError):
        send_issue(any_store, envelope, hasty, token)
    rerun, _ = backend(server, batch_size=10, send_delay=300)
    report = send_issue(any_store, envelope, rerun, token)
    assert report.unknown == 10  # the other batch went out in the first run or this one
    assert received(server) == Counter({e: 1 for e in emails})
    assert any_store.delivery_counts(1) == {"sent": 10, "unknown": 10}


def test_a_crash_after_cancelling_before_recording_still_resends(
    any_store: Store, server: SendGridServer
) -> None:
    """If SendGrid cancelled a batch but the crash came before we recorded it, it is resent once."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 10)
    sending, _ = backend(server, batch_size=10)
    any_store.enqueue(1)
    batch = any_store.claim(1, sending.new_batch_id(), "sendgrid", 10).batch
    assert sending.recover(batch) == Resend()  # SendGrid cancels it ... and the process dies here
    report = send_issue(any_store, envelope, sending, token)
    assert (report.recovered, report.sent, report.unknown) == (10, 10, 0)
    assert received(server) == Counter({e: 1 for e in emails})


def test_a_proof_goes_only_to_the_editor_and_records_nothing(
    any_store: Store, server: SendGridServer
) -> None:
    """--test-to sends to the given addresses, immediately, and leaves the ledger empty."""
    envelope = add_issue(any_store)
    add_people(any_store, 5)
    sending, _ = backend(server)
    proof(envelope, sending, ["editor@news.example", "copy@news.example"], token)
    assert sorted(received(server)) == ["copy@news.example", "editor@news.example"]
    assert all(
        "batch_id" not in a.body and a.body["subject"].startswith("[Proof] ")
        for a in server.accepted
    )
    assert any_store.delivery_counts(1) == {}


def test_each_reader_gets_their_own_vote_links_for_every_paper(
    any_store: Store, server: SendGridServer
) -> None:
    """The demo issue (twelve papers): each personalization carries the reader's part of their
    vote tokens and twelve tags, making tokens signed for its reader, this issue and each paper;
    the site is filled once in the shared content; the body passes the schema and SendGrid's
    10,000-byte substitutions limit."""
    html = (GOLDEN / "issue.html").read_text(encoding="utf-8")
    text = (GOLDEN / "issue.txt").read_text(encoding="utf-8")
    add_issue(any_store)
    add_people(any_store, 3)
    envelope = Envelope.for_issue(1, "Issue", html, text, SENDER)
    assert envelope.papers == 12
    report = send_issue(any_store, envelope, backend(server)[0], token)
    assert report.sent == 3
    (body,) = [a.body for a in server.accepted]
    content = "".join(part["value"] for part in body["content"])
    assert "%%site_url%%" not in content
    assert "https://news.example/v/%%voter%%.12.%%vote_12%%/down" in content
    for person in body["personalizations"]:
        reader, subs = int(person["custom_args"]["subscriber"]), person["substitutions"]
        tokens = [f"{subs['%%voter%%']}.{n}.{subs[f'%%vote_{n}%%']}" for n in range(1, 13)]
        assert [read_vote(t, SECRET) for t in tokens] == [
            VoteRef(reader, 1, n) for n in range(1, 13)
        ]
        assert len(json.dumps(subs)) < 1_000
