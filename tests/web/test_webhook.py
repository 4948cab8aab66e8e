"""SendGrid's Event Webhook: signatures (SendGrid's own test vector and a key made here),
dedupe by sg_event_id, out-of-order events, and what each event does."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.domain.subscriber import Status, SubscriberData
from newsletter.engagement.ingest import apply_events
from newsletter.errors import ConfigError
from newsletter.store import Store
from newsletter.web.security import load_public_key
from tests.support.deliveries import add_issue, add_people
from tests.support.signer import Signer, post
from tests.support.web_site import Site, running_site, subscriber

# SendGrid's published test vector (sendgrid-python, test/unit/test_eventwebhook.py).
SG_PUBLIC_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw"
    "+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="
)
SG_OTHER_KEY = (
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo"
    "7aNDthvj+y7GjUuFDb/R1NGe1OPzpA=="
)
SG_SIGNATURE = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM="
SG_TIMESTAMP = "1600112502"
SG_PAYLOAD = (
    json.dumps(
        [
            {
                "email": "hello@world.com",
                "event": "dropped",
                "reason": "Bounced Address",
                "sg_event_id": "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
                "sg_message_id": "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
                "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
                "timestamp": 1600112492,
            }
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    + "\r\n"
)  # the trailing CRLF is part of what was signed
SG_NOW = dt.datetime.fromtimestamp(int(SG_TIMESTAMP) + 5, dt.UTC)
NOW = dt.datetime(2024, 12, 2, 9, 0, tzinfo=dt.UTC)  # an hour after tests.support.deliveries.NOW


def at(minutes: int) -> int:
    return int((NOW + dt.timedelta(minutes=minutes)).timestamp())


def add_hello(store: Store) -> int:
    """hello@world.com, active since before the test vector's event."""
    joined = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    data = SubscriberData(
        email="hello@world.com",
        name=None,
        status=Status.ACTIVE,
        source="test",
        attributes={},
        created_at=joined,
        updated_at=joined,
        confirmed_at=joined,
    )
    return store.insert_subscriber(data).id


@pytest.fixture
def vector_site(any_store: Store, tmp_path: Path) -> Iterator[Site]:
    """The app with SendGrid's test key and a clock at the vector's time."""
    with running_site(
        any_store, tmp_path, clock=lambda: SG_NOW, sendgrid_webhook_public_key=SG_PUBLIC_KEY
    ) as site:
        yield site


def test_sendgrids_published_test_vector_is_accepted_and_applied(vector_site: Site) -> None:
    """SendGrid's own signed sample (a drop for a bounced address) verifies and bounces the subscriber."""
    hello = add_hello(vector_site.store)
    answer = post(vector_site, SG_PAYLOAD, SG_SIGNATURE, SG_TIMESTAMP)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 1, "applied": 1, "duplicates": 0, "ignored": 0}
    assert vector_site.status(hello) == "bounced"
    again = post(vector_site, SG_PAYLOAD, SG_SIGNATURE, SG_TIMESTAMP)  # SendGrid's retry
    assert again.json()["duplicates"] == 1


@pytest.mark.parametrize(
    "body,signature,timestamp",
    [
        (SG_PAYLOAD, None, SG_TIMESTAMP),
        (SG_PAYLOAD, SG_SIGNATURE, None),
        (SG_PAYLOAD.replace("dropped", "dropped "), SG_SIGNATURE, SG_TIMESTAMP),
        (SG_PAYLOAD.rstrip(), SG_SIGNATURE, SG_TIMESTAMP),
        (
            SG_PAYLOAD,
            "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=",
            SG_TIMESTAMP,
        ),
        (SG_PAYLOAD, "not base64!", SG_TIMESTAMP),
        (SG_PAYLOAD, SG_SIGNATURE, str(int(SG_TIMESTAMP) + 1)),
        (SG_PAYLOAD, SG_SIGNATURE, "timestamp"),
    ],
    ids=[
        "no-signature",
        "no-timestamp",
        "altered-body",
        "no-crlf",
        "bad-signature",
        "garbage",
        "other-time",
        "bad-timestamp",
    ],
)
def test_a_missing_or_bad_signature_gets_401_and_changes_nothing(
    vector_site: Site, body: str, signature: str | None, timestamp: str | None
) -> None:
    """Anything but SendGrid's exact signed bytes is refused before the body is read."""
    hello = add_hello(vector_site.store)
    answer = post(vector_site, body, signature, timestamp)
    assert answer.status_code == 401
    assert vector_site.status(hello) == "active"


def test_another_key_does_not_verify_sendgrids_signature(any_store: Store, tmp_path: Path) -> None:
    """The vector checked against SendGrid's other published key is refused."""
    with running_site(
        any_store, tmp_path, clock=lambda: SG_NOW, sendgrid_webhook_public_key=SG_OTHER_KEY
    ) as site:
        assert post(site, SG_PAYLOAD, SG_SIGNATURE, SG_TIMESTAMP).status_code == 401


def test_a_stale_timestamp_is_refused(any_store: Store, tmp_path: Path) -> None:
    """A genuine post replayed after NEWSLETTER_WEBHOOK_MAX_AGE is refused."""
    later = SG_NOW + dt.timedelta(minutes=11)
    with running_site(
        any_store, tmp_path, clock=lambda: later, sendgrid_webhook_public_key=SG_PUBLIC_KEY
    ) as site:
        answer = post(site, SG_PAYLOAD, SG_SIGNATURE, SG_TIMESTAMP)
        assert answer.status_code == 401 and "stale" in answer.text


def test_without_a_key_the_webhook_accepts_nothing(any_store: Store, tmp_path: Path) -> None:
    """No SENDGRID_WEBHOOK_PUBLIC_KEY: 503 (SendGrid keeps retrying), nothing applied."""
    with running_site(any_store, tmp_path) as site:
        assert post(site, SG_PAYLOAD, SG_SIGNATURE, SG_TIMESTAMP).status_code == 503


def test_a_malformed_key_stops_the_app_at_start() -> None:
    """A key that is not base64 DER of a P-256 key is a configuration error, not a silent 401."""
    with pytest.raises(ConfigError):
        load_public_key("not a key")


@pytest.fixture
def signed_site(any_store: Store, tmp_path: Path) -> Iterator[tuple[Site, Signer]]:
    signer = Signer()
    with running_site(
        any_store,
        tmp_path,
        clock=lambda: NOW + dt.timedelta(hours=1),
        sendgrid_webhook_public_key=signer.public,
    ) as site:
        yield site, signer


def ev(kind: str, subscriber_id: int, minutes: int, event_id: str, **extra: Any) -> dict[str, Any]:
    """An event as SendGrid posts it, with the custom_args sending set (strings)."""
    return {
        "email": f"reader{subscriber_id - 1}@example.org",
        "event": kind,
        "timestamp": at(minutes),
        "sg_event_id": event_id,
        "issue": "1",
        "subscriber": str(subscriber_id),
        **extra,
    }


def test_events_signed_with_a_fresh_key_update_deliveries_and_subscribers(
    signed_site: tuple[Site, Signer],
) -> None:
    """delivered/open/click stamp the delivery; bounce, spamreport, unsubscribe change the status."""
    site, signer = signed_site
    add_people(site.store, 6)
    site.send()
    events = [
        ev("processed", 1, 0, "p1"),
        ev("delivered", 1, 1, "d1"),
        ev("open", 1, 5, "o1"),
        ev("click", 1, 6, "c1", url="https://arxiv.org/abs/1"),
        ev("bounce", 2, 1, "b2", type="bounce"),
        ev("bounce", 3, 1, "b3", type="blocked"),
        ev("spamreport", 4, 9, "s4"),
        ev("group_unsubscribe", 5, 9, "u5", asm_group_id=1),
        ev("unsubscribe", 6, 9, "u6"),
    ]
    answer = signer.post(site, events, int((NOW + dt.timedelta(hours=1)).timestamp()))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 9, "applied": 7, "duplicates": 0, "ignored": 2}
    times = site.store.delivery_events(1, 1)
    assert times["delivered_at"] == NOW + dt.timedelta(minutes=1)
    assert times["opened_at"] == NOW + dt.timedelta(minutes=5) and times["clicked_at"] is not None
    assert site.store.delivery_events(1, 2)["bounced_at"] == NOW + dt.timedelta(minutes=1)
    assert site.store.delivery_events(1, 4)["complained_at"] is not None
    assert [site.status(n) for n in range(1, 7)] == [
        "active",
        "bounced",
        "active",
        "complained",
        "unsubscribed",
        "unsubscribed",
    ]
    assert subscriber(site.store, 2).unsubscribed_at == NOW + dt.timedelta(minutes=1)


def test_duplicated_events_are_applied_once(signed_site: tuple[Site, Signer]) -> None:
    """A retried post, and the same event twice in one post, count as duplicates."""
    site, signer = signed_site
    add_people(site.store, 1)
    site.send()
    stamp = int((NOW + dt.timedelta(hours=1)).timestamp())
    first = signer.post(site, [ev("open", 1, 5, "o1"), ev("open", 1, 5, "o1")], stamp)
    assert first.json() == {"received": 2, "applied": 1, "duplicates": 1, "ignored": 0}
    retry = signer.post(site, [ev("open", 1, 5, "o1")], stamp)
    assert retry.json() == {"received": 1, "applied": 0, "duplicates": 1, "ignored": 0}


def test_out_of_order_events_end_the_same(any_store: Store) -> None:
    """The earliest time of each event wins; a stronger leaving reason is never weakened."""
    add_people(any_store, 1)
    add_issue(any_store)
    any_store.enqueue(1)
    later = NOW + dt.timedelta(hours=1)
    apply_events(any_store, [ev("open", 1, 7, "o-late"), ev("delivered", 1, 3, "d")], later)
    apply_events(any_store, [ev("open", 1, 4, "o-early")], later)
    times = any_store.delivery_events(1, 1)
    assert times["opened_at"] == NOW + dt.timedelta(minutes=4)
    assert times["delivered_at"] == NOW + dt.timedelta(minutes=3)
    apply_events(
        any_store,
        [ev("spamreport", 1, 20, "s"), ev("unsubscribe", 1, 10, "u"), ev("bounce", 1, 15, "b")],
        later,
    )
    assert subscriber(any_store, 1).status is Status.COMPLAINED


def test_an_event_older_than_a_resubscription_is_ignored(any_store: Store) -> None:
    """Someone who left and came back is not sent away again by a late or retried old event."""
    add_people(any_store, 1)  # active since tests.support.deliveries.NOW, an hour before NOW
    report = apply_events(any_store, [ev("unsubscribe", 1, -120, "old")], NOW)
    assert report.applied == 1 and subscriber(any_store, 1).status is Status.ACTIVE
    apply_events(any_store, [ev("unsubscribe", 1, 0, "new")], NOW)
    assert subscriber(any_store, 1).status is Status.UNSUBSCRIBED


def test_the_address_must_agree_with_the_custom_args(any_store: Store) -> None:
    """custom_args naming one subscriber with another's address go by the address."""
    add_people(any_store, 2)
    apply_events(any_store, [{**ev("bounce", 1, 0, "x"), "email": "reader1@example.org"}], NOW)
    assert [subscriber(any_store, n).status for n in (1, 2)] == [Status.ACTIVE, Status.BOUNCED]


def test_garbage_inside_a_signed_body_is_ignored(signed_site: tuple[Site, Signer]) -> None:
    """Events that are not objects, or name nobody, are counted and skipped; a non-list body is 400."""
    site, signer = signed_site
    stamp = int((NOW + dt.timedelta(hours=1)).timestamp())
    answer = signer.post(site, [1, "x", {"event": "bounce", "email": "nobody@example.org"}], stamp)  # type: ignore[list-item]
    assert answer.json()["ignored"] == 3
    body = b'{"event": "bounce"}'
    signature = signer.key.sign(str(stamp).encode() + body, ec.ECDSA(hashes.SHA256()))
    assert post(site, body, base64.b64encode(signature).decode(), str(stamp)).status_code == 400
