"""The composition root: the one place that builds the side-effecting parts from the
settings (the store, the feed fetcher, the delivery backend, the link signer) and the `App`
that carries them to the services.

The shells (the CLI, the web app, the Prefect flows, the demo) each make an `App` and call
`newsletter.services` with it, so a setting means the same thing everywhere. Opening a store
never migrates it: `migrate` is the explicit step, run when a command, the web app or a flow
starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from newsletter.config import EditorConfig, Settings, load_editor_config
from newsletter.config.editor import ApprovalConfig
from newsletter.delivery.backends import Backend
from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.backends.sendgrid import SendGridBackend
from newsletter.delivery.backends.sendgrid_body import Tracking
from newsletter.delivery.backends.smtp import SMTPBackend, SMTPTarget
from newsletter.delivery.message import Envelope, Sender, Signer
from newsletter.errors import ConfigError
from newsletter.feeds.fetch import Fetcher
from newsletter.scheduler import PrefectApi, Scheduler
from newsletter.store import Store, StoredIssue
from newsletter.store.engine import safe_url
from newsletter.tokens import Purpose, TokenSigner, make_token

__all__ = [
    "BACKENDS",
    "App",
    "default_backend",
    "fetcher",
    "migrate",
    "open_backend",
    "open_store",
    "report_key",
    "report_link",
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


class App:
    """What every service works with, made once by the shell that calls it (the CLI's context,
    each flow task, the web app, the demo): the settings and the parts built from them.

    A store handed in (the web app's, open for the server's life, or a test's) is used as it
    is and left open for its owner to close; otherwise each `store()` opens the store at
    NEWSLETTER_DATABASE_URL and closes it afterwards. With `upgrade`, the first `store()`
    brings the schema up to date first (the CLI's way; the web app and the flows call
    `migrate` as their own first step).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        upgrade: bool = False,
        scheduler: Scheduler | None = None,
    ):
        self.settings = settings
        self._held = store
        self._upgrade = upgrade
        self._editor: EditorConfig | None = None
        self._scheduler = scheduler

    def editor(self) -> EditorConfig:
        """newsletter.toml (NEWSLETTER_CONFIG), read once."""
        if self._editor is None:
            self._editor = load_editor_config(self.settings.config)
        return self._editor

    def approval(self) -> ApprovalConfig:
        """newsletter.toml's [approval]; its defaults (no editors, nothing required) when
        there is no newsletter.toml, so sending an issue needs none."""
        if self._editor is None and not self.settings.config.exists():
            return ApprovalConfig()
        return self.editor().approval

    def migrate(self) -> str:
        """Bring the store's schema up to date, keeping its data; the revision it is at."""
        self._upgrade = False
        if self._held is not None:
            return self._held.migrate()
        return migrate(self.settings)

    @contextmanager
    def store(self) -> Iterator[Store]:
        if self._upgrade:
            self.migrate()
        if self._held is not None:
            yield self._held
            return
        with open_store(self.settings) as store:
            yield store

    @property
    def where(self) -> str:
        """The store's URL, password hidden: what a command may print."""
        return safe_url(self._held.url if self._held is not None else self.settings.database_url)

    def fetcher(self) -> Fetcher:
        return fetcher(self.settings)

    def backend(self, name: str | None = None) -> str:
        """The backend `name`, or the default one, its settings checked: a send that cannot
        go refuses before anything is looked up."""
        chosen = name or default_backend(self.settings)
        sender_for(self.settings, chosen)
        return chosen

    def sender(self, backend: str) -> tuple[Sender, Signer]:
        return sender_for(self.settings, backend)

    def open_backend(self, backend: str) -> Backend:
        return open_backend(self.settings, backend)

    def sending(
        self, issue: StoredIssue, backend: str | None = None
    ) -> contextlib.AbstractContextManager[tuple[Envelope, Backend, Signer]]:
        return sending(self.settings, issue, backend)

    def report_link(self, issue_number: int) -> str | None:
        return report_link(self.settings, issue_number)

    def scheduler(self) -> Scheduler | None:
        """The scheduler's API a paused weekly run is resumed through (Prefect's, at
        NEWSLETTER_PREFECT_API_URL or PREFECT_API_URL); None when none is set."""
        if self._scheduler is None and self.settings.prefect_api_url:
            auth = self.settings.prefect_api_auth_string
            self._scheduler = PrefectApi(
                self.settings.prefect_api_url, auth=auth.get_secret_value() if auth else None
            )
        return self._scheduler
