"""The welcome mail, end to end in Chromium: subscribe, confirm from the mailed link, and get
the latest issue, whole, with your own links, through the site's SMTP backend (a real SMTP
server); confirming again sends nothing. Screenshots go to out/screenshots/."""

from __future__ import annotations

import email
import email.message
import email.policy
import re
import time
from pathlib import Path

from newsletter.delivery.backends.smtp import SMTPBackend, SMTPTarget
from newsletter.domain.welcome import WelcomeStatus
from newsletter.tokens import Purpose, read_token, read_vote
from tests.support.browser import Browser
from tests.support.deliveries import add_people
from tests.support.paths import GOLDEN, SHOTS
from tests.support.smtp_server import SMTPServer
from tests.support.stores import migrated
from tests.support.web_site import SECRET, running_site

ADDRESS = "newcomer@example.org"
TITLE = "Important LLMs Papers for the Week from 25/11 to 30/11"  # the golden issue's heading


def test_subscribe_confirm_and_get_the_latest_issue_once(
    browser: Browser, smtp_server: SMTPServer, tmp_path: Path
) -> None:
    backend = SMTPBackend(
        SMTPTarget.parse(f"smtp://{smtp_server.host}:{smtp_server.port}?tls=none")
    )
    with (
        migrated(f"sqlite:///{tmp_path / 'web.db'}") as store,
        running_site(store, tmp_path, backend=backend) as site,
        browser,
    ):
        add_people(store, 2)
        site.send(1, html=(GOLDEN / "issue.html").read_text(encoding="utf-8"))  # the latest issue
        browser.goto(f"{site.url}/subscribe")
        browser.evaluate(f"document.querySelector('#email').value = {ADDRESS!r}")
        browser.click("button[type=submit]")
        assert "Check your inbox" in browser.text()
        confirmation = _mail(smtp_server, 1)
        link = re.search(r"http://\S+/confirm/\S+", _text(confirmation))
        assert link is not None

        browser.goto(link.group(0))
        browser.click("#confirm")
        assert "the latest one is on its way" in browser.text()
        browser.screenshot(SHOTS / "web-confirmed-welcome.png")
        welcome = _mail(smtp_server, 2)
        newcomer = store.subscriber_by_email(ADDRESS)
        assert newcomer is not None and newcomer.status.value == "active"

        assert welcome["Subject"] == "Welcome to LLM Papers Weekly: the latest issue"
        assert welcome["To"].addresses[0].addr_spec == ADDRESS
        text, html = _text(welcome), welcome.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert text.startswith("Welcome, and thank you for subscribing to LLM Papers Weekly!")
        assert "here is the latest issue: Important LLMs Papers #1." in " ".join(text.split())
        heading = html.index("<h1")  # the issue's own heading, under the welcome
        assert html.index("Welcome, and thank you") < heading < html.index(TITLE, heading)
        assert html.count('href="https://arxiv.org/abs/') == 24 and "%%" not in text + html  # whole
        assert text.rstrip().endswith(f"Unsubscribe: {site.url}/u/{unsubscribe_token(text)}")
        unsubscribe = re.findall(rf"{site.url}/u/([\w.-]+)", html)
        assert unsubscribe and {
            read_token(t, SECRET, Purpose.UNSUBSCRIBE) for t in unsubscribe
        } == {newcomer.id}
        votes = re.findall(rf"{site.url}/v/([\w.-]+)/up", html)
        assert [read_vote(t, SECRET).subscriber_id for t in votes] == [newcomer.id] * 12
        assert welcome["Message-ID"] == f"<welcome-1.sub-{newcomer.id}@news.example>"

        browser.goto(link.group(0))  # the same link again: spent, it says so and sends nothing
        assert "You are subscribed" in browser.text()
        again = site.post_form(link.group(0), {"csrf": site.form("/subscribe")})
        assert again.status_code == 200 and "You are subscribed" in again.text
        time.sleep(0.5)  # a background task would have sent by now
        assert len(smtp_server.messages) == 2
        record = store.welcome_of(newcomer.id)
        assert record is not None and record.status is WelcomeStatus.SENT
        assert (record.issue_number, record.backend) == (1, "smtp")
    backend.close()


def _mail(server: SMTPServer, count: int, timeout: float = 10.0) -> email.message.EmailMessage:
    """The `count`-th message the server accepted (mail goes after the page's answer)."""
    deadline = time.monotonic() + timeout
    while len(server.messages) < count:
        assert time.monotonic() < deadline, f"only {len(server.messages)} messages arrived"
        time.sleep(0.05)
    msg = email.message_from_bytes(server.messages[count - 1].data, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def unsubscribe_token(text: str) -> str:
    found = re.search(r"/u/([\w.-]+)", text)
    assert found is not None
    return found.group(1)


def _text(msg: email.message.EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())
