"""SendGrid events read into typed events: bounded, typed, attributed; effects by kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from newsletter.domain.events import BOUNCE_HARD, BOUNCE_SOFT, EventKind, LinkKind
from newsletter.domain.subscriber import Status
from newsletter.engagement.events import effect, event_key, int_arg, read_event
from newsletter.engagement.links import LinkMap

NOW = dt.datetime(2024, 12, 2, 8, 0, tzinfo=dt.UTC)


def read(**raw: Any) -> Any:
    return read_event(raw, NOW, lambda issue: LinkMap.for_issue(None, "https://site.example"))


def test_an_open_by_apple_mail_privacy_protection_is_flagged() -> None:
    assert read(event="open", sg_machine_open=True).machine
    assert not read(event="open", sg_machine_open=False).machine
    assert not read(event="click", sg_machine_open=True, url="https://x.org").machine


@pytest.mark.parametrize(
    ("raw", "status", "column"),
    [
        ({"event": "bounce", "type": "bounce"}, Status.BOUNCED, "bounced_at"),
        ({"event": "bounce", "type": "blocked"}, None, None),
        ({"event": "dropped", "reason": "Bounced Address"}, Status.BOUNCED, "bounced_at"),
        ({"event": "dropped", "reason": "Spam Content"}, None, None),
        ({"event": "spamreport"}, Status.COMPLAINED, "complained_at"),
        ({"event": "group_unsubscribe"}, Status.UNSUBSCRIBED, None),
        ({"event": "delivered"}, None, "delivered_at"),
        ({"event": "processed"}, None, None),
        ({"event": "something_new"}, None, None),
    ],
)
def test_what_each_kind_does(
    raw: dict[str, Any], status: Status | None, column: str | None
) -> None:
    assert effect(read(**raw)) == (status, column)


def test_bounces_are_hard_or_soft_and_unknown_kinds_kept_as_other() -> None:
    assert read(event="bounce", type="bounce").detail == BOUNCE_HARD
    assert read(event="bounce", type="blocked").detail == BOUNCE_SOFT
    assert read(event="x" * 5000).kind is EventKind.OTHER


def test_a_strangers_values_are_bounded() -> None:
    """Huge or odd ids name nothing; times from the future are now; text is cut."""
    event = read(
        event="dropped",
        issue="99999999999999999999",
        subscriber=True,
        timestamp=NOW.timestamp() + 3600,
        reason="r" * 1000,
        email="  A@B.example " + "x" * 1000,
    )
    assert event.issue is None and event.subscriber is None
    assert event.occurred_at == NOW
    assert len(event.detail or "") == 200 and len(event.email) == 320
    assert event.email.startswith("a@b.example")
    assert [int_arg(v) for v in ("12", 12, "2147483648", "١٢", "-3", 1.5)] == [
        12,
        12,
        None,
        None,
        None,
        None,
    ]


def test_an_event_without_an_id_is_keyed_by_its_content() -> None:
    one = {"event": "open", "email": "a@b.example", "timestamp": 1}
    assert event_key(one) == event_key(dict(reversed(one.items())))
    assert event_key(one) != event_key({**one, "timestamp": 2})
    assert event_key({**one, "sg_event_id": "abc"}) == "abc"


def test_a_click_is_attributed_as_it_is_read() -> None:
    clicked = read(event="click", url="https://site.example/issues/3")
    assert clicked.target is not None and clicked.target.kind is LinkKind.VIEW
    assert clicked.url == "https://site.example/issues/3"
