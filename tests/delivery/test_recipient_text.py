"""What a stranger's text can do to a sent issue, through the real build and send path:
a subscriber's name in HTML, a feed's title planting a placeholder, an address no backend
can take. The name reaches each part escaped for that part; feed text never becomes a
placeholder; a bad stored address fails alone."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import shutil
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest

from newsletter.config import TEMPLATES_DIR, EditorConfig
from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.backends.sendgrid import SendGridBackend
from newsletter.delivery.backends.smtp import SMTPBackend, SMTPTarget
from newsletter.delivery.message import Envelope
from newsletter.delivery.send import send_issue
from newsletter.domain.delivery import DeliveryStatus
from newsletter.domain.papers import Listing
from newsletter.domain.week import Week
from newsletter.issue.build import build_issue
from newsletter.store import Store
from newsletter.subscribers import membership
from tests.support.deliveries import SENDER, add_emails, issue_record, token
from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.smtp_server import SMTPServer
from tests.support.stores import migrated

WEEK = Week.containing(dt.date(2024, 11, 25))
HOSTILE = '<a href="https://evil.example">CLICK</a><img src=x onerror=alert(1)>'
ESCAPED = "&lt;a href=&quot;https://evil.example&quot;&gt;CLICK&lt;/a&gt;&lt;img src=x onerror=alert(1)&gt;"
PLANTED = "Large language models %%unsubscribe_url%% and %%name_html%% %%name%% reasoning"


@pytest.fixture
def greeting_templates(tmp_path: Path) -> Path:
    """The editor's templates, edited to greet each reader by name (both parts)."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, folder)
    html = folder / "email" / "issue.html.j2"
    html.write_text(
        html.read_text().replace("<body>", "<body><p id=greeting>Hello {{ links.name }}</p>", 1)
    )
    text = folder / "email" / "issue.txt.j2"
    text.write_text("Hello {{ links.name }}\n" + text.read_text())
    return folder


@pytest.fixture
def issue(any_store: Store, greeting_templates: Path) -> Iterator[Envelope]:
    """A built issue whose one paper's title and abstract try to plant placeholders."""
    listings = [
        Listing(
            arxiv_id=f"2411.0000{n}",
            title=PLANTED if n == 1 else f"Large language model agents {n}",
            abstract="We study large language models. %%name%% appears in this abstract.",
            feed="hf-daily",
            listed_on=WEEK.start,
            upvotes=10 * n,
            on_hugging_face=True,
        )
        for n in range(1, 4)
    ]
    any_store.merge(listings)
    built = build_issue(any_store, EditorConfig(), WEEK, templates=greeting_templates)
    yield Envelope.for_issue(
        built.issue.number, built.issue.title, built.rendered.html, built.rendered.text, SENDER
    )


def add_reader(store: Store, name: str) -> int:
    return membership.add(store, "reader@example.org", name=name).subscriber.id


def parts(path: Path) -> tuple[str, str]:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    html, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content()


def test_a_hostile_name_is_escaped_in_html_and_plain_in_text(
    any_store: Store, issue: Envelope, tmp_path: Path
) -> None:
    add_reader(any_store, HOSTILE)
    send_issue(any_store, issue, OutboxBackend(tmp_path / "outbox"), token)
    (sent,) = (tmp_path / "outbox" / f"issue-{issue.issue_number}").glob("*.eml")
    html, text = parts(sent)
    assert "<img src=x" not in html and '<a href="https://evil.example">' not in html
    assert f"Hello {ESCAPED}</p>" in html
    assert f"Hello {HOSTILE}" in text  # plain text shows what they typed; it runs nowhere


def test_feed_text_never_becomes_a_placeholder(
    any_store: Store, issue: Envelope, tmp_path: Path
) -> None:
    reader = add_reader(any_store, "Ada")
    send_issue(any_store, issue, OutboxBackend(tmp_path / "outbox"), token)
    (sent,) = (tmp_path / "outbox" / f"issue-{issue.issue_number}").glob("*.eml")
    html, text = parts(sent)
    personal_link = f"/u/{token(reader)}"
    for part in (html, text):
        assert part.count(personal_link) == 1  # the footer's link, not the title's
        assert "Large language models %\u2060%unsubscribe_url%\u2060%" in part
        assert "%\u2060%name%\u2060% appears" in part
    assert html.count("Ada") == 1 and text.count("Ada") == 1  # the greeting only


def sent_by_sendgrid(store: Store, issue: Envelope) -> tuple[dict[str, Any], dict[str, Any]]:
    """The issue sent to its one reader through the official client and the test server:
    the request body, and its one personalization."""
    with SendGridServer(validate="full") as server:
        send_issue(store, issue, SendGridBackend(API_KEY, host=server.url), token)
        (accepted,) = server.accepted
    assert accepted.body is not None
    (personalization,) = accepted.body["personalizations"]
    return accepted.body, personalization


def test_sendgrid_gets_each_part_its_own_escaped_name(any_store: Store, issue: Envelope) -> None:
    add_reader(any_store, HOSTILE)
    body, personalization = sent_by_sendgrid(any_store, issue)
    values = personalization["substitutions"]
    assert values["%%name%%"] == HOSTILE
    assert values["%%name_html%%"] == ESCAPED
    content = {c["type"]: c["value"] for c in body["content"]}
    assert "%%name_html%%" in content["text/html"] and "%%name%%" not in content["text/html"]
    assert "%%name%%" in content["text/plain"] and "%%name_html%%" not in content["text/plain"]


@pytest.mark.parametrize("backend", ["outbox", "smtp"])
def test_a_stored_address_no_backend_can_take_fails_alone(
    any_store: Store, issue: Envelope, tmp_path: Path, backend: str
) -> None:
    """Addresses stored before they were checked as now (non-ASCII before the @) fail with a
    reason; the send goes on and everyone else gets the issue."""
    add_emails(
        any_store,
        ["ok@example.org", "ада@пример.рф", "ｆｕｌｌ@example.org", "also@example.org"],
        "active",
    )
    with SMTPServer() as smtp:
        sender = (
            OutboxBackend(tmp_path / "outbox")
            if backend == "outbox"
            else SMTPBackend(SMTPTarget.parse(f"smtp://{smtp.host}:{smtp.port}?tls=none"))
        )
        report = send_issue(any_store, issue, sender, token)
        sender.close()
    assert (report.sent, report.failed) == (2, 2)
    counts = any_store.delivery_counts(issue.issue_number)
    assert counts[DeliveryStatus.SENT] == 2 and counts[DeliveryStatus.FAILED] == 2


# A name that tries three things at once: a second address in To: (Reply-All to a stranger),
# markup in the HTML part, and a right-to-left override with a zero-width space.
TRICKY = "Reply here <attacker@evil.example>, ü <img src=x onerror=alert(1)> \u202egnp.exe\u200b"
SHOWN = "Reply here &lt;attacker@evil.example&gt;, ü &lt;img src=x onerror=alert(1)&gt; gnp.exe"


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """These tests are about text, not the database: one store kind is enough."""
    with migrated(f"sqlite:///{tmp_path / 'text.db'}") as store:
        yield store


@pytest.fixture(scope="module")
def literal_rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The HTML and text of an issue from templates that write the documented %%name%%
    placeholder themselves, in the HTML part as well as the text (built once)."""
    folder = tmp_path_factory.mktemp("literal") / "templates"
    shutil.copytree(TEMPLATES_DIR, folder)
    for name in ("issue.html.j2", "issue.txt.j2"):
        path = folder / "email" / name
        body = path.read_text()
        if name.endswith("html.j2"):
            path.write_text(body.replace("<body>", "<body><p id=greeting>Hello %%name%%</p>", 1))
        else:
            path.write_text("Hello %%name%%\n" + body)
    paper = Listing(
        arxiv_id="2411.00001",
        title="Large language model agents",
        feed="hf-daily",
        listed_on=WEEK.start,
        upvotes=10,
        on_hugging_face=True,
    )
    with migrated(f"sqlite:///{folder.parent / 'build.db'}") as store:
        store.merge([paper])
        built = build_issue(store, EditorConfig(), WEEK, templates=folder)
    return built.rendered.html, built.rendered.text


@pytest.fixture
def literal_issue(sqlite_store: Store, literal_rendered: tuple[str, str]) -> Envelope:
    html, text = literal_rendered
    sqlite_store.save_draft(
        number=1,
        week_start=WEEK.start,
        title="Issue 1",
        record=issue_record(1, WEEK.start, "Issue 1"),
        html=html,
        text=text,
        markdown="# Issue",
    )
    return Envelope.for_issue(1, "Issue 1", html, text, SENDER)


def _stored_as_typed(store: Store, name: str) -> int:
    """A reader whose name an older release stored uncleaned."""
    from sqlalchemy import update

    from newsletter.store.schema import subscribers

    reader = add_reader(store, "Ada")
    with store.engine.begin() as conn:
        conn.execute(update(subscribers).values(name=name))
    return reader


@pytest.mark.parametrize("backend", ["outbox", "smtp"])
def test_a_typed_name_is_one_address_and_escaped_html_in_every_message(
    sqlite_store: Store, literal_issue: Envelope, tmp_path: Path, backend: str
) -> None:
    """To: holds exactly the reader's address; the HTML part gets the escaped name even where
    the template wrote %%name%%; no bidi override or zero-width space reaches the message."""
    _stored_as_typed(sqlite_store, TRICKY)
    with SMTPServer() as smtp:
        sender = (
            OutboxBackend(tmp_path / "outbox")
            if backend == "outbox"
            else SMTPBackend(SMTPTarget.parse(f"smtp://{smtp.host}:{smtp.port}?tls=none"))
        )
        send_issue(sqlite_store, literal_issue, sender, token)
        sender.close()
        raw = (
            next((tmp_path / "outbox" / "issue-1").glob("*.eml")).read_bytes()
            if backend == "outbox"
            else smtp.messages[0].data
        )
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    (to,) = msg["To"].addresses
    assert to.addr_spec == "reader@example.org" and "@" not in to.display_name
    html, text = parts_of(msg)
    assert f"Hello {SHOWN}</p>" in html and "<img src=x" not in html
    assert (
        "Hello Reply here <attacker@evil.example>, ü <img src=x onerror=alert(1)> gnp.exe" in text
    )
    for part in (str(msg["To"]), html, text):
        assert "\u202e" not in part and "\u200b" not in part


def test_sendgrid_gets_one_plain_name_and_escaped_html(
    sqlite_store: Store, literal_issue: Envelope
) -> None:
    _stored_as_typed(sqlite_store, TRICKY)
    body, personalization = sent_by_sendgrid(sqlite_store, literal_issue)
    (to,) = personalization["to"]
    # However SendGrid writes "name <email>", it is one address: the name has no , ; < > @ "
    assert getaddresses([f"{to['name']} <{to['email']}>"]) == [(to["name"], "reader@example.org")]
    assert not set(to["name"]) & set(',;<>@"\u202e\u200b')
    content = {c["type"]: c["value"] for c in body["content"]}
    assert (
        "Hello %%name_html%%</p>" in content["text/html"] and "%%name%%" not in content["text/html"]
    )
    assert personalization["substitutions"]["%%name_html%%"] == SHOWN


def parts_of(msg: EmailMessage) -> tuple[str, str]:
    html, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content()
