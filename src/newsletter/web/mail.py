"""Transactional mail from the web endpoints (the double opt-in confirmation, the welcome with
the latest issue), one message at a time.

It goes through the configured delivery backend's proof path: no ledger, no batch, the
same From, links and List-Unsubscribe headers as an issue. With the outbox backend the
message lands in `NEWSLETTER_OUTBOX/proofs/issue-0/<address>.eml`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import jinja2

from newsletter.app import App
from newsletter.delivery.backends import Backend
from newsletter.delivery.message import Envelope, Sender, personal
from newsletter.domain.delivery import Recipient
from newsletter.domain.subscriber import Subscriber
from newsletter.errors import NewsletterError
from newsletter.services import welcome as welcoming
from newsletter.tokens import make_token

log = logging.getLogger("newsletter.web.app")


class Transactional(Envelope):
    """A message that is not an issue: its own SendGrid category, issue number 0."""

    __slots__ = ()

    @property
    def category(self) -> str:
        return "confirmation"

    @property
    def mail_kind(self) -> str:
        return "confirmation"


class Mailer:
    def __init__(self, backend: Backend, sender: Sender, templates: jinja2.Environment) -> None:
        self.backend = backend
        self.sender = sender
        self.templates = templates
        self._lock = threading.Lock()  # one SMTP connection: one message on it at a time

    def confirmation(self, sub: Subscriber, confirm_url: str) -> None:
        """Ask the address's owner to confirm (double opt-in)."""
        self._send(sub, "Please confirm your subscription", "confirm", {"confirm_url": confirm_url})

    def already_subscribed(self, sub: Subscriber) -> None:
        """Someone asked to subscribe an address that already gets the newsletter: tell its owner
        (the web page says the same thing either way, so the list cannot be probed)."""
        self._send(
            sub,
            "You are already subscribed",
            "already",
            {"archive_url": f"{self.sender.base_url}/"},
        )

    def welcome(self, sub: Subscriber, app: App) -> None:
        """The welcome mail with the latest issue (services/welcome.py), through this backend."""
        with self._lock:
            done = welcoming.welcome(app, sub.id, backend=self.backend)
        failed = done.outcome in (welcoming.Outcome.FAILED, welcoming.Outcome.UNKNOWN)
        log.log(logging.ERROR if failed else logging.INFO, "%s", done.message)

    def send_quietly(self, kind: str, sub: Subscriber, *args: Any) -> None:
        """For background tasks: a failure is logged, never shown (the page has gone already)."""
        try:
            getattr(self, kind)(sub, *args)
        except (NewsletterError, OSError) as exc:
            log.error("could not send the %s mail to subscriber %s: %s", kind, sub.id, exc)

    def close(self) -> None:
        self.backend.close()

    def _send(self, sub: Subscriber, subject: str, template: str, context: dict[str, Any]) -> None:
        s = self.sender
        # Nothing a stranger typed goes into a mail to someone else's address: no name in the
        # greeting or the To: header, only the address and our own words.
        values = {"site": s.from_name or "Newsletter", **context}
        html = self.templates.get_template(f"web/mail/{template}.html.j2").render(values)
        text = self.templates.get_template(f"web/mail/{template}.txt.j2").render(values)
        envelope = Transactional(0, subject, html, text, s)
        who = personal(
            envelope, Recipient(sub.id, sub.email, None), lambda i: make_token(i, s.secret)
        )
        # A fresh Message-ID each time: a second confirmation must not be folded into the first.
        who = who._replace(message_id=f"<{template}-{sub.id}-{uuid.uuid4().hex}@{s.domain}>")
        with self._lock:
            self.backend.send_proof(envelope, [who])
