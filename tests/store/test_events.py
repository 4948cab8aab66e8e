"""The events store: migration 0006 keeps what the older tables knew, and erasure keeps the
past's counts without the person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from newsletter.domain.events import Via
from newsletter.store import Store
from newsletter.subscribers import membership
from tests.support.stores import HEAD

T = dt.datetime(2024, 11, 20, 9, 0, tzinfo=dt.UTC)


def test_upgrading_to_0006_keeps_seen_event_ids_and_the_lists_history(any_store_url: str) -> None:
    """Event ids seen before stay seen (a retry within the day is still recognised); each
    subscriber's confirmation and leaving become the list's history."""
    with Store(any_store_url) as store:
        store.migrate("0005")
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO webhook_events (sg_event_id, event, occurred_at, received_at) "
                    "VALUES ('seen-1', 'open', NULL, :t)"
                ),
                {"t": T.replace(tzinfo=None)},
            )
            for n, status, left in (
                (1, "active", None),
                (2, "unsubscribed", T),
                (3, "pending", None),
            ):
                conn.execute(
                    text(
                        "INSERT INTO subscribers (id, email, email_key, status, attributes, "
                        "created_at, updated_at, confirmed_at, unsubscribed_at) VALUES "
                        "(:n, :e, :e, :s, '{}', :t, :t, :c, :u)"
                    ),
                    {
                        "n": n,
                        "e": f"p{n}@example.org",
                        "s": status,
                        "t": T.replace(tzinfo=None),
                        "c": None if status == "pending" else T.replace(tzinfo=None),
                        "u": left.replace(tzinfo=None) if left else None,
                    },
                )
        assert store.migrate() == HEAD
        assert store.seen_event_keys(["seen-1", "new"]) == {"seen-1"}
        changes = store.list_changes_since(T - dt.timedelta(days=1))
        assert sorted((c.subscriber_id, c.joined, c.reason) for c in changes) == [
            (1, True, "confirmed"),
            (2, False, "unsubscribed"),
            (2, True, "confirmed"),
        ]


def test_joins_and_leaves_are_kept_with_how_they_happened(any_store: Store) -> None:
    membership.add(any_store, "a@example.org", now=T)
    membership.unsubscribe(any_store, "a@example.org", now=T + dt.timedelta(hours=1), via=Via.PAGE)
    membership.come_back(
        any_store, 1, T + dt.timedelta(hours=1, minutes=10)
    )  # undo, within the hour
    membership.remove(any_store, "a@example.org")
    found = [
        (c.joined, c.reason, c.via.value, c.subscriber_id) for c in any_store.list_changes_since(T)
    ]
    assert found == [
        (True, "new", "cli", -1),
        (False, "unsubscribed", "page", -1),
        (True, "returned", "page", -1),
        (False, "erased", "cli", -1),
    ]  # erased: the id negated, naming nobody
