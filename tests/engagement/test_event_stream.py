"""A realistic event stream for one sent issue to a few thousand subscribers, posted signed
to the real app under uvicorn: duplicates, out-of-order events, whole posts retried,
machine opens, clicks on every kind of link, bounces after delivery, unsubscribes by every
path. The report's numbers must be exactly what the generator knows."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from newsletter.delivery.backends.sendgrid import SendGridBackend
from newsletter.demo.events import EventStream, Reader, synthetic_stream
from newsletter.domain.events import Via
from newsletter.domain.issue import IssueRecord
from newsletter.engagement.report import Report, make_report
from newsletter.store import Store
from newsletter.subscribers.import_csv import import_csv
from newsletter.tokens import make_token
from tests.support.engagement import golden_record, send_record
from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.signer import Signer
from tests.support.web_site import SECRET, Site, running_site

READERS = 2500


@pytest.fixture(scope="module")
def record() -> IssueRecord:
    return golden_record()


def send_to_readers(
    store: Store, site: Site, record: IssueRecord, joined: dt.datetime, tmp_path: Path
) -> list[Reader]:
    """The list imported from a CSV, the issue sent through SendGrid (the fake on 127.0.0.1)."""
    rows = "\n".join(f"reader{n}@example.org,Reader {n}" for n in range(READERS))
    (tmp_path / "list.csv").write_text(f"email,name\n{rows}\n", encoding="utf-8")
    assert import_csv(store, tmp_path / "list.csv", now=joined).imported == READERS
    with SendGridServer() as server:
        backend = SendGridBackend(API_KEY, host=server.url)
        assert send_record(store, record, site.sender(), backend, SECRET).sent == READERS
    return [
        Reader(s.id, s.email, f"{site.url}/u/{make_token(s.id, SECRET)}")
        for s in store.find_subscribers(limit=READERS)
    ]


def deliver(site: Site, signer: Signer, stream: EventStream) -> dict[str, int]:
    """Post every batch signed, as SendGrid would; then the readers' own unsubscribes."""
    totals = {"received": 0, "applied": 0, "duplicates": 0, "ignored": 0}
    for post in stream.posts:
        answer = signer.post(site, post, int(time.time()))
        assert answer.status_code == 200, answer.text
        for key, n in answer.json().items():
            totals[key] += n
    for reader, via, _ in stream.web_unsubscribes:
        fields = {"List-Unsubscribe": "One-Click"}
        if via is Via.PAGE:
            fields["via"] = "page"
        done = site.http.post(reader.unsubscribe_url.removeprefix(site.url), data=fields)
        assert done.status_code == 200, done.text
    return totals


def test_the_report_matches_the_generated_stream_exactly(
    record: IssueRecord, any_store: Store, tmp_path: Path
) -> None:
    signer = Signer()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=6)
    store = any_store
    with running_site(store, tmp_path, sendgrid_webhook_public_key=signer.public) as site:
        readers = send_to_readers(store, site, record, start - dt.timedelta(days=1), tmp_path)
        stream = synthetic_stream(record, readers, base_url=site.url, start=start)
        totals = deliver(site, signer, stream)
        report = make_report(store, record.number)
    assert totals["received"] == sum(len(p) for p in stream.posts)
    assert totals["received"] - totals["duplicates"] == stream.events  # each event kept once
    check(report, stream, record)


def check(report: Report, stream: EventStream, record: IssueRecord) -> None:
    e, want = report.engagement, stream.expected
    assert (e.audience, e.sent) == (READERS, READERS)
    assert e.sent_at == stream.start
    assert (e.delivered, e.bounced, e.soft_bounced, e.dropped, e.complained) == (
        want.delivered,
        want.bounced,
        want.soft_bounced,
        want.dropped,
        want.complained,
    )
    assert e.unsubscribed_by == want.unsubscribed_by
    assert set(want.unsubscribed_by) == {"one-click", "page", "webhook"}
    assert (e.unique_opens, e.machine_opens) == (want.unique_opens, want.machine_opens)
    assert (e.unique_clicks, e.view_clicks, e.unsubscribe_clicks) == (
        want.unique_clicks,
        want.view_clicks,
        want.unsubscribe_clicks,
    )
    assert {k: n for k, n in e.clicks_by_paper.items() if n} == want.clicks_by_paper
    assert {k: n for k, n in e.clicks_by_section.items() if n} == want.clicks_by_section
    assert e.clicks_by_promo == {
        "ebook": want.clicks_by_promo.get("ebook", 0),
        **want.clicks_by_promo,
    }
    assert list(e.opens_by_hour) == want.opens_by_hour
    assert list(e.clicks_by_hour) == want.clicks_by_hour
    # the generator made every kind of thing happen, so the equalities above say something
    assert want.machine_opens and want.view_clicks and want.unsubscribe_clicks and want.dropped
    assert len(want.clicks_by_paper) == len(record.picks) and "mentoring" in want.clicks_by_promo
    assert sum(want.opens_by_hour) < want.unique_opens  # some first opens after 72 hours
