"""Machine settings and secrets, from the environment and `.env`; where shipped files are.

This is the only module that reads the environment; everything else takes arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from newsletter.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///data/newsletter.db"
_PACKAGE = Path(__file__).resolve().parents[1]  # src/newsletter


def shipped(inside: str, top_level: str) -> Path:
    """A file the wheel carries inside the package, at `inside`; a source checkout (the
    editable install) keeps it at the project's top level, at `top_level`, where the editor
    edits it. pyproject.toml's force-include maps one onto the other."""
    packaged = _PACKAGE / inside
    return packaged if packaged.exists() else _PACKAGE.parents[1] / top_level


TEMPLATES_DIR = shipped("templates", "templates")
STARTER_CONFIG = shipped("starter/newsletter.toml", "newsletter.toml")
STARTER_ENV = shipped("starter/env.example", ".env.example")


class Settings(BaseSettings):
    """Machine and secret settings: `NEWSLETTER_*` variables, or a `.env` file."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSLETTER_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = DEFAULT_DATABASE_URL
    config: Path = Path("newsletter.toml")
    contact_email: str = "newsletter@example.org"
    http_timeout: float = Field(default=30.0, gt=0)
    max_feed_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    http_retries: int = Field(default=4, ge=0)
    # Seconds one request may spend on all its tries and waits: a dead feed fails within this.
    http_retry_budget: float = Field(default=45.0, gt=0)
    arxiv_delay: float = Field(default=3.0, ge=0)
    templates: Path = TEMPLATES_DIR

    # Delivery. Real sending refuses to start without from_address, base_url and secret.
    from_address: str | None = Field(default=None, validation_alias=AliasChoices("NEWSLETTER_FROM"))
    base_url: str | None = None
    secret: SecretStr | None = None
    outbox: Path = Path("data/outbox")
    unsubscribe_mailto: str | None = None
    sendgrid_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SENDGRID_API_KEY")
    )
    sendgrid_api_host: str = Field(
        default="https://api.sendgrid.com", validation_alias=AliasChoices("SENDGRID_API_HOST")
    )
    smtp_url: SecretStr | None = Field(default=None, validation_alias=AliasChoices("SMTP_URL"))
    # Batches go out this many seconds after SendGrid accepts them, so that a batch whose
    # answer a crash lost can still be cancelled (SendGrid allows it until 10 min before).
    sendgrid_send_delay: int = Field(default=900, ge=660, le=72 * 3600)
    sendgrid_batch_size: int = Field(default=1000, ge=1, le=1000)
    # Batches on the wire at once (SMTP: connections). 8 keeps a 150 ms round trip from
    # capping the send (bench/send.py --latency 0.15; docs/sending.md).
    send_concurrency: int = Field(default=8, ge=1, le=64)
    track_opens: bool = True  # SendGrid open tracking (the engagement report counts opens)
    track_clicks: bool = True  # SendGrid click tracking, HTML links only

    # Web endpoints (`newsletter web`). The Event Webhook's verification key, base64 DER as
    # SendGrid shows it; without it the webhook accepts nothing.
    sendgrid_webhook_public_key: str | None = Field(
        default=None, validation_alias=AliasChoices("SENDGRID_WEBHOOK_PUBLIC_KEY")
    )
    webhook_max_age: int = Field(default=600, ge=30)  # seconds a signed post stays acceptable
    confirm_max_age: int = Field(default=7 * 24 * 3600, ge=300)  # seconds a confirm link works
    subscribe_limit: int = Field(default=5, ge=1)  # subscribe posts per client (and per address)
    subscribe_window: int = Field(default=3600, ge=1)  # … in this many seconds
    # Confirmation mails the web app sends in any hour, to everyone together: what a flood of
    # sign-ups from many networks can cost (over it, the page asks to try again later).
    confirmation_mails_per_hour: int = Field(default=1000, ge=1)
    # What one client may hold of `newsletter web` (web/server.py): seconds to send a
    # request's head, then its body, and connections open at once (a new one over the cap
    # closes the one waiting longest for its client).
    web_header_timeout: float = Field(default=10.0, gt=0)
    web_body_timeout: float = Field(default=30.0, gt=0)
    web_max_connections: int = Field(default=1000, ge=10)

    # Engagement reports. An issue's raw events are folded into its totals this many days
    # after it was sent (at least a week: SendGrid retries a post for a day).
    events_keep_days: int = Field(default=180, ge=7)
    reports_dir: Path = Path("data/reports")  # the issue-report flow's HTML pages
    # Report links (/reports/<token>) work this many days after they are made, and are signed
    # with their own key when one is set: a new NEWSLETTER_REPORT_SECRET revokes every report
    # link at once and leaves unsubscribe links (NEWSLETTER_SECRET) alone.
    report_link_days: int = Field(default=90, ge=1)
    report_secret: SecretStr | None = None

    # Prefect's API, as Prefect itself reads it (the environment or .env; NEWSLETTER_ names win
    # for the library): `/healthz` asks it whether the deployments are there and when the next
    # weekly run is; `newsletter serve` starts a local server when it is unset and
    # --prefect-server is given; the editor's review page resumes the weekly run waiting for
    # its approval through it.
    prefect_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("NEWSLETTER_PREFECT_API_URL", "PREFECT_API_URL")
    )
    prefect_api_key: SecretStr | None = Field(  # Prefect Cloud
        default=None, validation_alias=AliasChoices("PREFECT_API_KEY")
    )
    prefect_api_auth_string: SecretStr | None = Field(  # a server's basic auth, user:password
        default=None,
        validation_alias=AliasChoices(
            "NEWSLETTER_PREFECT_API_AUTH_STRING", "PREFECT_API_AUTH_STRING"
        ),
    )

    @property
    def user_agent(self) -> str:
        return f"newsletter/0.1 (+mailto:{self.contact_email})"


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {first_error(exc)}") from exc


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else err["msg"]
