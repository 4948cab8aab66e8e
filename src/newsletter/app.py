"""The one place that builds the side-effecting parts from the settings: the store, the
feed fetcher, the delivery backend and the link signer.

The CLI, the web app and the weekly steps (under Prefect) all come through here, so a
setting means the same thing everywhere. Opening a store never migrates it: `migrate` is
the explicit step, run when a command, the web app or a flow starts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from newsletter.config import Settings
from newsletter.delivery.backends import Backend
from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.backends.sendgrid import SendGridBackend
from newsletter.delivery.backends.sendgrid_body import Tracking
from newsletter.delivery.backends.smtp import SMTPBackend, SMTPTarget
from newsletter.delivery.message import Envelope, Sender, Signer
from newsletter.errors import ConfigError
from newsletter.feeds.fetch import Fetcher
from newsletter.store import Store, StoredIssue
from newsletter.tokens import Purpose, TokenSigner, make_token

__all__ = [
    "BACKENDS",
    "default_backend",
    "fetcher",
    "migrate",
    "open_backend",
    "open_store",
    "sender_for",
    "sending",
]

BACKENDS = ("sendgrid", "smtp", "outbox")
# Only ever used for the outbox, whose mail never leaves the machine.
OUTBOX_DEFAULTS = (
    "Newsletter <newsletter@localhost>",
    "http://localhost:8000",
    "outbox-only-not-secret",
)


def open_store(settings: Settings) -> Store:
    """The store at NEWSLETTER_DATABASE_URL, as it is (see `migrate`)."""
    return Store(settings.database_url)


def migrate(settings: Settings) -> str:
    """Bring the store's schema up to date, keeping its data; the revision it is at."""
    with open_store(settings) as store:
        return store.migrate()


def fetcher(settings: Settings) -> Fetcher:
    """The feed client: timeouts, size cap, retries within their budget, arXiv's pacing."""
    return Fetcher(
        timeout=settings.http_timeout,
        max_bytes=settings.max_feed_bytes,
        user_agent=settings.user_agent,
        retries=settings.http_retries,
        retry_budget=settings.http_retry_budget,
        min_interval={"export.arxiv.org": settings.arxiv_delay},
    )


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
            concurrency=settings.send_concurrency,
            tracking=Tracking(opens=settings.track_opens, clicks=settings.track_clicks),
        )
    if name == "smtp":
        if not settings.smtp_url:
            raise ConfigError(
                "the smtp backend needs SMTP_URL", hint="e.g. smtp://user:pass@smtp.example.org:587"
            )
        return SMTPBackend(
            SMTPTarget.parse(settings.smtp_url.get_secret_value()),
            concurrency=settings.send_concurrency,
        )
    if name == "outbox":
        return OutboxBackend(settings.outbox, concurrency=settings.send_concurrency)
    raise ConfigError(f"unknown backend {name!r} (one of {', '.join(BACKENDS)})")


def sender_for(settings: Settings, backend: str) -> tuple[Sender, Signer]:
    """The sender and the unsubscribe-link signer; real backends need real settings."""
    values = (
        settings.from_address,
        settings.base_url,
        settings.secret.get_secret_value() if settings.secret else None,
    )
    if backend != "outbox":
        missing = [
            name
            for name, value in zip(
                ("NEWSLETTER_FROM", "NEWSLETTER_BASE_URL", "NEWSLETTER_SECRET"), values, strict=True
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"sending with {backend} needs {', '.join(missing)}",
                hint="set them in .env (see .env.example); the outbox backend works without",
            )
    from_address, base_url, secret = (v or d for v, d in zip(values, OUTBOX_DEFAULTS, strict=True))
    sender = Sender.parse(from_address, base_url, secret, settings.unsubscribe_mailto)
    return sender, TokenSigner(secret)


@contextmanager
def sending(
    settings: Settings, issue: StoredIssue, backend: str | None = None
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


def report_link(
    settings: Settings, issue_number: int, *, now: dt.datetime | None = None
) -> str | None:
    """The web app's page of the issue's report, signed with its time (it works for
    NEWSLETTER_REPORT_LINK_DAYS); None without a base URL and secret."""
    key = report_key(settings)
    if not settings.base_url or key is None:
        return None
    issued = now or dt.datetime.now(dt.UTC)
    token = make_token(issue_number, key, Purpose.REPORT, issued_at=issued)
    return f"{settings.base_url.rstrip('/')}/reports/{token}"


def report_key(settings: Settings) -> str | None:
    """What report links are signed with: NEWSLETTER_REPORT_SECRET, else NEWSLETTER_SECRET
    (the purpose in every token keeps the two kinds of link apart either way)."""
    secret = settings.report_secret or settings.secret
    return secret.get_secret_value() if secret else None
