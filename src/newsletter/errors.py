"""A small exception tree; every error carries the context needed to act on it.

The CLI prints `str(error)` as one line followed by the error's hint.
"""

from __future__ import annotations


class NewsletterError(Exception):
    """Base of every error the newsletter raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(NewsletterError):
    hint = "check newsletter.toml and your environment (.env); see .env.example"


class FeedError(NewsletterError):
    """A feed could not be fetched or read at all.

    `gave_up` marks a server that kept failing (unreachable, timing out, 5xx, 429) through
    every retry: the rest of this run leaves that host alone.
    """

    hint = "check the feed URL, or run again later if the server is busy"

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        hint: str | None = None,
        gave_up: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.status = status
        self.gave_up = gave_up


class StoreError(NewsletterError):
    hint = "check NEWSLETTER_DATABASE_URL and that the database is reachable"


class IngestError(NewsletterError):
    """No feed of an ingest run worked."""

    hint = "see the lines above for each feed's reason"


class SendError(NewsletterError):
    """Sending stopped, or one message could not be sent."""

    hint = "check the delivery settings in .env (see .env.example)"

    def __init__(
        self,
        message: str,
        *,
        email: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.email = email
        self.status = status


class SubscriberError(NewsletterError):
    """An address that cannot be used, or a subscriber that is not there."""

    hint = "check the address (one person, like ada@example.org); `newsletter subscribers list` shows who is stored"

    def __init__(self, message: str, *, email: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.email = email


class TokenError(NewsletterError):
    """A signed link token that is forged, altered, truncated, expired or for another purpose."""

    hint = "the link may be incomplete or out of date; ask for a new one"


class UnsettledError(SendError):
    """The provider may hold a batch that could not be cancelled: it stays in flight."""

    hint = "run the send again within a few minutes: the next run settles it first"


class ReportError(NewsletterError):
    """No report can be made for the issue asked for."""

    hint = "see `newsletter report --help`; reports cover sent issues"

    def __init__(self, message: str, *, issue: int | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.issue = issue
