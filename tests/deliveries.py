"""Test helpers for delivery: a store holding one issue and a list of subscribers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert

from newsletter.delivery.message import Envelope, Sender
from newsletter.render import UNSUBSCRIBE_PLACEHOLDER, VIEW_PLACEHOLDER
from newsletter.store import Store
from newsletter.store.schema import subscribers
from newsletter.subscribers import make_token

SECRET = "test-secret"
SENDER = Sender.parse("The Editor <editor@news.example>", "https://news.example", SECRET)
HTML = (f'<html><body><h1>Issue</h1><p>Hello %%name%%</p><a href="{VIEW_PLACEHOLDER}">view</a>'
        f' <a href="{UNSUBSCRIBE_PLACEHOLDER}">unsubscribe</a></body></html>')
TEXT = f"Issue\nView: {VIEW_PLACEHOLDER}\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"
NOW = dt.datetime(2024, 12, 2, 8, 0, tzinfo=dt.UTC)


def add_issue(store: Store, number: int = 1, week: dt.date = dt.date(2024, 11, 25)) -> Envelope:
    store.save_draft(number=number, week_start=week, title=f"Important LLMs Papers #{number}",
                     data={"number": number}, html=HTML, text=TEXT, markdown="# Issue")
    return Envelope.for_issue(number, f"Important LLMs Papers #{number}", HTML, TEXT, SENDER)


def add_people(store: Store, count: int, *, status: str = "active", start: int = 0,
               names: bool = True) -> list[str]:
    """Insert subscribers straight into the table (fast, for thousands)."""
    emails = [f"reader{n}@example.org" for n in range(start, start + count)]
    rows = [_row(email, status, f"Reader {n}" if names else None) for n, email in zip(range(start, start + count), emails, strict=True)]
    for chunk in range(0, len(rows), 5000):
        with store.engine.begin() as conn:
            conn.execute(insert(subscribers), rows[chunk : chunk + 5000])
    return emails


def add_emails(store: Store, emails: Sequence[str], status: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(subscribers), [_row(e, status, None) for e in emails])


def token(subscriber_id: int) -> str:
    return make_token(subscriber_id, SECRET)


def _row(email: str, status: str, name: str | None) -> dict[str, object]:
    return {"email": email, "email_key": email.lower(), "name": name, "status": status, "source": "test",
            "attributes": {}, "created_at": NOW, "updated_at": NOW, "confirmed_at": NOW}
