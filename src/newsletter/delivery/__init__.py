"""Delivery: the ledger loop (send.py) and one module per backend.

`open_backend` picks and configures a backend from the settings. Real sending (SendGrid,
SMTP) refuses to start without a sender address, the public base URL and the secret that
signs unsubscribe links; the outbox works without them, so a demo never needs secrets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from newsletter.config import Settings
from newsletter.delivery.backends import Backend
from newsletter.delivery.message import Envelope, Sender, Signer
from newsletter.delivery.outbox import OutboxBackend
from newsletter.delivery.sendgrid import SendGridBackend
from newsletter.delivery.smtp import SMTPBackend, SMTPTarget
from newsletter.errors import ConfigError
from newsletter.store import StoredIssue
from newsletter.subscribers import make_token

BACKENDS = ("sendgrid", "smtp", "outbox")
# Only ever used for the outbox, whose mail never leaves the machine.
OUTBOX_DEFAULTS = ("Newsletter <newsletter@localhost>", "http://localhost:8000", "outbox-only-not-secret")


def default_backend(settings: Settings) -> str:
    """SendGrid if a key is set, else SMTP if a URL is, else the outbox: nothing leaves by accident."""
    if settings.sendgrid_api_key:
        return "sendgrid"
    if settings.smtp_url:
        return "smtp"
    return "outbox"


def open_backend(settings: Settings, name: str) -> Backend:
    if name == "sendgrid":
        if not settings.sendgrid_api_key:
            raise ConfigError("the sendgrid backend needs SENDGRID_API_KEY")
        return SendGridBackend(
            settings.sendgrid_api_key.get_secret_value(),
            host=settings.sendgrid_api_host,
            send_delay=settings.sendgrid_send_delay,
            batch_size=settings.sendgrid_batch_size,
        )
    if name == "smtp":
        if not settings.smtp_url:
            raise ConfigError("the smtp backend needs SMTP_URL", hint="e.g. smtp://user:pass@smtp.example.org:587")
        return SMTPBackend(SMTPTarget.parse(settings.smtp_url.get_secret_value()))
    if name == "outbox":
        return OutboxBackend(settings.outbox)
    raise ConfigError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})")


def sender_for(settings: Settings, backend: str) -> tuple[Sender, Signer]:
    """The sender and the unsubscribe-link signer; real backends need real settings."""
    values = (settings.from_address, settings.base_url,
              settings.secret.get_secret_value() if settings.secret else None)
    if backend != "outbox":
        missing = [name for name, value in zip(("NEWSLETTER_FROM", "NEWSLETTER_BASE_URL", "NEWSLETTER_SECRET"),
                                                values, strict=True) if not value]
        if missing:
            raise ConfigError(f"sending with {backend} needs {', '.join(missing)}",
                              hint="set them in .env (see .env.example); the outbox backend works without")
    from_address, base_url, secret = (v or d for v, d in zip(values, OUTBOX_DEFAULTS, strict=True))
    sender = Sender.parse(from_address, base_url, secret, settings.unsubscribe_mailto)
    return sender, lambda subscriber_id: make_token(subscriber_id, secret)


@contextmanager
def sending(settings: Settings, issue: StoredIssue, backend: str | None = None
            ) -> Iterator[tuple[Envelope, Backend, Signer]]:
    """The issue as it goes out, an open backend (closed afterwards) and the link signer."""
    name = backend or default_backend(settings)
    sender, token = sender_for(settings, name)
    envelope = Envelope.for_issue(issue.number, issue.title, issue.html, issue.text, sender)
    opened = open_backend(settings, name)
    try:
        yield envelope, opened, token
    finally:
        opened.close()
