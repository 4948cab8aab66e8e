"""Test helpers for delivery: a store holding one issue and a list of subscribers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import insert

from newsletter.delivery.message import Envelope, Sender
from newsletter.domain.issue import IssuePaper, IssueRecord, IssueSection
from newsletter.render.placeholders import UNSUBSCRIBE_PLACEHOLDER, VIEW_PLACEHOLDER
from newsletter.store import Store
from newsletter.store.schema import subscribers
from newsletter.tokens import make_token

SECRET = "test-secret"
SENDER = Sender.parse("The Editor <editor@news.example>", "https://news.example", SECRET)
HTML = (
    f'<html><body><h1>Issue</h1><p>Hello %%name%%</p><a href="{VIEW_PLACEHOLDER}">view</a>'
    f' <a href="{UNSUBSCRIBE_PLACEHOLDER}">unsubscribe</a></body></html>'
)
TEXT = f"Issue\nView: {VIEW_PLACEHOLDER}\nUnsubscribe: {UNSUBSCRIBE_PLACEHOLDER}\n"
NOW = dt.datetime(2024, 12, 2, 8, 0, tzinfo=dt.UTC)


def issue_record(number: int, week: dt.date, title: str, *picks: tuple[str, str]) -> IssueRecord:
    """A stored issue's record: (arxiv id, title) picks in one section."""
    papers = tuple(
        IssuePaper(
            number=f"1.{n}.",
            arxiv_id=arxiv_id,
            title=paper,
            url=f"https://arxiv.org/abs/{arxiv_id}",
            pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
            hf_url=None,
            authors=(),
            summary=(),
            score=1.0,
            why="test",
        )
        for n, (arxiv_id, paper) in enumerate(picks, 1)
    )
    sections = (IssueSection(number=1, name="LLM Training", papers=papers),) if papers else ()
    return IssueRecord(
        number=number,
        title=title,
        subtitle="Stay Updated with Recent Large Language Models Research",
        week_start=week,
        week_end=week + dt.timedelta(days=6),
        intro=(),
        sections=sections,
        promos=(),
        candidates=(),
    )


def add_issue(store: Store, number: int = 1, week: dt.date = dt.date(2024, 11, 25)) -> Envelope:
    title = f"Important LLMs Papers #{number}"
    store.save_draft(
        number=number,
        week_start=week,
        title=title,
        record=issue_record(number, week, title),
        html=HTML,
        text=TEXT,
        markdown="# Issue",
    )
    return Envelope.for_issue(number, f"Important LLMs Papers #{number}", HTML, TEXT, SENDER)


def add_people(
    store: Store, count: int, *, status: str = "active", start: int = 0, names: bool = True
) -> list[str]:
    """Insert subscribers straight into the table (fast, for thousands)."""
    emails = [f"reader{n}@example.org" for n in range(start, start + count)]
    rows = [
        _row(email, status, f"Reader {n}" if names else None)
        for n, email in zip(range(start, start + count), emails, strict=True)
    ]
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
    return {
        "email": email,
        "email_key": email.lower(),
        "name": name,
        "status": status,
        "source": "test",
        "attributes": {},
        "created_at": NOW,
        "updated_at": NOW,
        "confirmed_at": NOW,
    }
