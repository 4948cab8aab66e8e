"""The report from events a test writes by hand, on every backend: each line's count, the
unsubscribe ways, folding old events away with the report unchanged, erasure, the command."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.message import Sender
from newsletter.domain.events import Via
from newsletter.domain.issue import IssueRecord
from newsletter.domain.subscriber import Status
from newsletter.engagement.ingest import apply_events
from newsletter.engagement.report import make_report
from newsletter.engagement.retention import fold_old_events
from newsletter.errors import IssueError
from newsletter.store import Store
from newsletter.subscribers import membership
from tests.support.engagement import golden_record, send_record

SITE = "https://news.example.org"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
T0 = NOW - dt.timedelta(days=10)  # when the issue went out
PAPER = "2411.15124"  # 3.1, LLM Training


def sent_issue(store: Store, tmp_path: Path, readers: int = 10) -> IssueRecord:
    """Ten readers (joined the day before), the demo week's issue sent to them."""
    for n in range(1, readers + 1):
        membership.add(store, f"r{n}@example.org", now=T0 - dt.timedelta(days=1))
    issue = golden_record()
    sender = Sender.parse("Editor <e@news.example.org>", SITE, "s")
    send_record(store, issue, sender, OutboxBackend(tmp_path / "outbox"), "s")
    return issue


def ev(kind: str, who: int, minutes: float, **extra: Any) -> dict[str, Any]:
    return {
        "event": kind,
        "email": f"r{who}@example.org",
        "timestamp": int((T0 + dt.timedelta(minutes=minutes)).timestamp()),
        "sg_event_id": f"{kind}-{who}-{minutes}-{sorted(extra.items())}",
        "issue": "1",
        "subscriber": str(who),
        **extra,
    }


EVENTS = [
    *(ev("processed", n, 0) for n in range(1, 11)),
    *(ev("delivered", n, 1) for n in (1, 2, 3, 5, 6, 7, 8, 9)),
    ev("open", 1, 30),
    ev("open", 1, 31, sg_machine_open=True),
    ev("open", 1, 200),
    ev("click", 1, 32, url=f"https://arxiv.org/abs/{PAPER}"),
    ev("click", 1, 33, url=f"https://arxiv.org/pdf/{PAPER}"),
    ev("click", 1, 34, url="https://example.com/llm-roadmap-ebook"),
    ev("open", 2, 2, sg_machine_open=True),
    ev("click", 2, 3, url=f"{SITE}/issues/1"),
    ev("open", 3, 25 * 60),
    ev("click", 3, 25 * 60 + 1, url=f"{SITE}/u/sometoken"),
    ev("click", 3, 25 * 60 + 2, url="https://lnkd.in/dXeg3KPW"),
    ev("bounce", 4, 1, type="bounce"),
    ev("spamreport", 5, 90),
    ev("unsubscribe", 6, 100),
    ev("bounce", 9, 400, type="bounce"),  # after delivery
    ev("bounce", 10, 1, type="blocked"),
    ev("dropped", 10, 2, reason="Spam Content"),
    ev("open", 7, 80 * 60),  # after the first 72 hours
]


def play(store: Store) -> None:
    report = apply_events(store, EVENTS, NOW, base_url=SITE)
    assert report.received == len(EVENTS) and report.duplicates == 0
    membership.leave(store, 3, Status.UNSUBSCRIBED, T0 + dt.timedelta(hours=26), via=Via.PAGE)
    membership.leave(store, 7, Status.UNSUBSCRIBED, T0 + dt.timedelta(hours=81), via=Via.ONE_CLICK)
    membership.unsubscribe(store, "r8@example.org", now=T0 + dt.timedelta(hours=30))  # the CLI


def test_each_line_of_the_report_counts_unique_subscribers(
    any_store: Store, tmp_path: Path
) -> None:
    sent_issue(any_store, tmp_path)
    play(any_store)
    e = make_report(any_store, now=NOW).engagement
    assert (e.issue, e.audience, e.sent, e.sent_at) == (1, 10, 10, T0)
    assert (e.delivered, e.bounced, e.soft_bounced, e.dropped, e.complained) == (8, 2, 1, 1, 1)
    assert e.unsubscribed_by == {"page": 1, "one-click": 1, "cli": 1, "webhook": 1}
    assert e.unsubscribed == 4
    assert (e.unique_opens, e.machine_opens) == (3, 1)  # r1, r3, r7; r2 only by machine
    assert (e.unique_clicks, e.view_clicks, e.unsubscribe_clicks) == (2, 1, 1)
    assert e.clicks_by_paper[PAPER] == 1 and sum(e.clicks_by_paper.values()) == 1
    assert e.papers[0].arxiv_id == PAPER and e.papers[0].number == "3.1"
    assert e.clicks_by_section["LLM Training"] == 1
    assert e.clicks_by_promo == {"ebook": 1, "mentoring": 1}
    assert (e.opens_by_hour[0], e.opens_by_hour[25], sum(e.opens_by_hour)) == (1, 1, 2)
    assert (e.clicks_by_hour[0], e.clicks_by_hour[25]) == (1, 1)
    assert e.open_rate == 3 / 8 and e.click_rate == 2 / 8


def test_folding_drops_the_events_and_the_report_reads_the_same(
    any_store: Store, tmp_path: Path
) -> None:
    sent_issue(any_store, tmp_path)
    play(any_store)
    before = make_report(any_store, now=NOW)
    later = NOW + dt.timedelta(days=8)  # the send finished at about NOW
    assert fold_old_events(any_store, dt.timedelta(days=30), later).issues == []  # too recent
    folded = fold_old_events(any_store, dt.timedelta(days=7), later)
    assert folded.issues == [1] and folded.events == len(EVENTS)
    assert any_store.count_events() == 0
    after = make_report(any_store, now=NOW)
    assert after.engagement.folded and not before.engagement.folded
    assert after.to_json() | {"folded": False} == before.to_json()
    with pytest.raises(ValueError, match="at least 7 days"):
        fold_old_events(any_store, dt.timedelta(days=1), NOW)


def test_erasing_a_subscriber_keeps_the_past_counts(any_store: Store, tmp_path: Path) -> None:
    sent_issue(any_store, tmp_path)
    play(any_store)
    before = make_report(any_store, now=NOW).to_json()
    membership.remove(any_store, "r1@example.org")
    after = make_report(any_store, now=NOW).to_json()
    of_the_list = ("audience", "sent", "sent_by", "list_growth")  # counts of who is there now
    assert {k: v for k, v in after.items() if k not in of_the_list} == {
        k: v for k, v in before.items() if k not in of_the_list
    }
    assert after["list_growth"][-1]["left"] == {"erased": 1}  # erased this week, from active


def test_list_growth_counts_joins_leaves_by_reason_and_size(
    any_store: Store, tmp_path: Path
) -> None:
    sent_issue(any_store, tmp_path)
    play(any_store)
    growth = make_report(any_store, weeks=3, now=NOW).growth
    joined = sum(w.joins for w in growth)
    left: dict[str, int] = {}
    for w in growth:
        for why, n in w.left.items():
            left[why] = left.get(why, 0) + n
    assert joined == 10 and left == {"unsubscribed": 4, "bounced": 2, "complained": 1}
    assert growth[-1].size == any_store.count_active() == 3  # r1, r2, r10 (soft bounce only)
    assert sum(w.net for w in growth) == 10 - 7


def test_no_sent_issue_is_a_clear_error(any_store: Store) -> None:
    with pytest.raises(IssueError, match="no issue has been sent yet"):
        make_report(any_store)
    with pytest.raises(IssueError, match="there is no issue 7"):
        make_report(any_store, 7)


@pytest.fixture
def reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url, clock=lambda: T0 + dt.timedelta(minutes=5)) as store:  # sent ten days ago
        store.migrate()
        sent_issue(store, tmp_path)
        play(store)
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
    monkeypatch.setenv("NEWSLETTER_BASE_URL", SITE)
    monkeypatch.setenv("NEWSLETTER_SECRET", "report-secret")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_command_prints_json_with_the_promised_keys_and_writes_the_page(
    reported: Path,
) -> None:
    done = CliRunner().invoke(cli, ["report", "--json", "--html", "page/report.html"])
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    promised = {
        "issue",
        "audience",
        "delivered",
        "bounced",
        "complained",
        "unsubscribed",
        "unique_opens",
        "unique_clicks",
        "clicks_by_paper",
        "clicks_by_section",
        "clicks_by_promo",
    }
    assert promised <= set(found)
    assert found["clicks_by_promo"] == {"ebook": 1, "mentoring": 1}
    assert found["unsubscribed"] == 4 and found["clicks_by_paper"][PAPER] == 1
    page = (reported / "page" / "report.html").read_text(encoding="utf-8")
    assert "chart-papers" in page and found["title"] in page


def test_the_command_prints_tables_and_the_signed_link(reported: Path) -> None:
    done = CliRunner().invoke(cli, ["report", "--weeks", "2"])
    assert done.exit_code == 0, done.output
    assert "unique opens             3            37.5% of delivered" in done.output
    assert f"{SITE}/reports/" in done.output
    table = done.output.split("List growth")[1].strip().split("\n\n")[0]
    assert len(table.splitlines()) == 3  # a header and two weeks


def test_fold_events_says_what_it_folded(reported: Path) -> None:
    done = CliRunner().invoke(cli, ["fold-events", "--keep-days", "7"])
    assert done.exit_code == 0, done.output
    assert f"folded {len(EVENTS)} events of issue(s) 1" in done.output
    again = CliRunner().invoke(cli, ["report", "--json"])
    assert json.loads(again.output)["folded"] is True


def test_proofs_and_confirmations_are_never_the_issues_audience(
    any_store: Store, tmp_path: Path
) -> None:
    """Through the real path: a proof the day before and the issue sent by the official client
    to the SendGrid test server, a confirmation mailed by the web app, and SendGrid's events
    for each (with the custom_args each request carried) posted signed to the webhook. The
    proof's events move neither the send time nor any count; the confirmation's are loose
    events, which retention drops after a week like the others (older ones kept under
    issue 0 too)."""
    from newsletter.delivery.backends.sendgrid import SendGridBackend
    from newsletter.delivery.message import Envelope
    from newsletter.delivery.send import proof
    from newsletter.domain.events import EmailEvent, EventKind
    from tests.support.deliveries import HTML, TEXT
    from tests.support.sendgrid_server import API_KEY, SendGridServer
    from tests.support.signer import Signer
    from tests.support.web_site import SECRET, running_site

    editor = "editor@news.example.org"
    membership.add(any_store, editor)  # the editor reads the list too
    membership.add(any_store, "r1@example.org")
    signer = Signer()
    with SendGridServer() as server:
        mail = SendGridBackend(API_KEY, host=server.url, send_delay=660)
        record = golden_record()
        sender = Sender.parse("Editor <e@news.example.org>", SITE, SECRET)
        envelope = Envelope.for_issue(1, record.title, HTML, TEXT, sender)
        proof(envelope, mail, [editor], lambda i: f"t{i}")
        send_record(any_store, record, sender, mail, SECRET)
        with running_site(
            any_store, tmp_path, backend=mail, sendgrid_webhook_public_key=signer.public
        ) as site:
            site.post_form("/subscribe", {"csrf": site.form("/subscribe"), "email": "new@x.org"})
            for _ in range(100):
                if len(server.accepted) == 3:
                    break
                time.sleep(0.05)
            proofs, issue, confirmation = server.accepted
            now = int(time.time())
            day_before = now - 24 * 3600
            events = [
                *_events(proofs, day_before, "processed", "delivered", "open", "click"),
                *_events(issue, now - 60, "processed", "delivered"),
                *_events(confirmation, now - 60, "processed", "delivered"),
            ]
            reader = next(e for e in events if e["email"] == "r1@example.org")
            events.append(reader | {"event": "open", "sg_event_id": "r1-open"})  # theirs only
            assert signer.post(site, events, now).status_code == 200
    report = make_report(any_store, 1).engagement
    assert report.sent_at and report.sent_at.timestamp() >= now - 120  # not the proof's day
    assert (report.delivered, report.unique_opens, report.unique_clicks) == (2, 1, 0)
    assert proofs.body and proofs.body["personalizations"][0]["custom_args"] == {"mail": "proof"}
    assert "issue-1" not in proofs.body["categories"]
    # retention: loose events go after a week, those kept under issue 0 before too
    any_store.add_events([EmailEvent("old-confirmation", EventKind.DELIVERED, T0, issue=0)])
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    fold_old_events(any_store, dt.timedelta(days=180), later)
    assert any_store.count_events() == 5  # the issue's own: 2 processed, 2 delivered, 1 open


def _events(request: Any, at: int, *kinds: str) -> list[dict[str, Any]]:
    """SendGrid's events for each recipient of an accepted request, with its custom_args."""
    found = []
    for n, p in enumerate(request.body["personalizations"]):
        for kind in kinds:
            extra = {"url": f"https://arxiv.org/abs/{PAPER}"} if kind == "click" else {}
            found.append(
                {
                    "event": kind,
                    "email": p["to"][0]["email"],
                    "timestamp": at,
                    "sg_event_id": f"{request.message_id}-{n}-{kind}",
                    **p.get("custom_args", {}),
                    **extra,
                }
            )
    return found


def test_an_issue_sent_by_smtp_says_which_numbers_need_sendgrid(
    tmp_path: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent through a local relay (SMTP, `?tls=none`), with no provider events: `newsletter
    report` shows the audience, sent and the unsubscribes it knows, and says that delivery,
    bounces, opens and clicks need SendGrid's Event Webhook, instead of 0 and 0.0%; its JSON
    has them null and names them; the page says so too."""
    from newsletter.delivery.backends.smtp import SMTPBackend, SMTPTarget

    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url) as store:
        store.migrate()
        for n in range(1, 4):
            membership.add(store, f"r{n}@example.org")
        relay = SMTPTarget.parse(f"smtp://{smtp_server.host}:{smtp_server.port}?tls=none")
        sender = Sender.parse("Editor <e@news.example.org>", SITE, "s")
        send_record(store, golden_record(), sender, SMTPBackend(relay, timeout=5), "s")
        membership.unsubscribe(store, "r3@example.org", via=Via.PAGE)  # the mail's link
    assert len(smtp_server.messages) == 3
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)

    done = CliRunner().invoke(cli, ["report", "--html", "report.html"])
    assert done.exit_code == 0, done.output
    assert "Sent via smtp, which tells nothing of what happened to the mail" in done.output
    assert "0.0%" not in done.output and "not known: needs SendGrid's Event Webhook" in done.output
    assert "sent                     3            3 via smtp" in done.output
    assert "unsubscribed             1            1 page" in done.output
    assert "Clicks per promo\n  (not known)" in done.output
    votes_only = "Clicks and votes per paper\n  paper  title"
    assert votes_only in done.output and "clicks  of delivered" not in done.output

    found = json.loads(CliRunner().invoke(cli, ["report", "--json"]).output)
    assert (found["audience"], found["sent"], found["unsubscribed"]) == (3, 3, 1)
    assert found["sent_by"] == {"smtp": 3} and found["provider_events"] is False
    assert found["delivered"] is None and found["open_rate"] is None
    assert found["unique_clicks"] is None and "open_rate" in found["unknown"]
    assert "SendGrid" in found["unknown_why"]
    assert "tells nothing of what happened" in (tmp_path / "report.html").read_text()
