"""Test helpers for engagement: the demo week's real issue record, saved and sent."""

from __future__ import annotations

import json
from typing import Any

from newsletter.delivery.backends import Backend
from newsletter.delivery.message import Envelope, Sender
from newsletter.delivery.send import SendReport, send_issue
from newsletter.domain.issue import IssueRecord
from newsletter.store import Store
from newsletter.tokens import make_token
from tests.support.deliveries import HTML, TEXT
from tests.support.paths import GOLDEN


def golden_record(**update: Any) -> IssueRecord:
    """The demo week's issue as built: twelve papers in seven sections, two promos."""
    record = IssueRecord.from_json(json.loads((GOLDEN / "issue.json").read_text("utf-8")))
    return record.model_copy(update=update) if update else record


def save_record(store: Store, record: IssueRecord) -> None:
    """The record as its week's draft."""
    store.save_draft(
        number=record.number,
        week_start=record.week_start,
        title=record.title,
        record=record,
        html=HTML,
        text=TEXT,
        markdown="#",
    )


def send_record(
    store: Store, record: IssueRecord, sender: Sender, backend: Backend, secret: str
) -> SendReport:
    """Save the record as its week's draft and send it to every active subscriber."""
    save_record(store, record)
    envelope = Envelope.for_issue(record.number, record.title, HTML, TEXT, sender)
    return send_issue(store, envelope, backend, lambda i: make_token(i, secret))
