"""A small exception tree; every error carries the context needed to act on it.

The CLI prints `str(error)` as one line followed by the error's hint. `retryable` says
whether trying the same step again later may help: a scheduler (newsletter_flows/tasks.py)
retries on it alone. Errors no retry can mend (a wrong setting, a bad address, a forged link) and those
whose retries were already spent say no.
"""

from __future__ import annotations


class NewsletterError(Exception):
    """Base of every error the newsletter raises on purpose."""

    hint: str = ""
    retryable: bool = True  # the network, a server, a lock: another try may pass

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(NewsletterError):
    hint = "check newsletter.toml and your environment (.env); see .env.example"
    retryable = False  # a wrong setting fails the same way every time


class FeedError(NewsletterError):
    """A feed could not be fetched or read at all.

    `gave_up` marks a server that kept failing (unreachable, timing out, 5xx, 429) through
    every retry: the rest of this run leaves that host alone, and it is not `retryable`
    (the retry budget is spent; another round on top would multiply the wait). A refusal
    (a 4xx) is not retryable either.
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
        refused = status is not None and 400 <= status < 500
        self.retryable = not gave_up and not refused


class StoreError(NewsletterError):
    hint = "check NEWSLETTER_DATABASE_URL and that the database is reachable"


class IngestError(NewsletterError):
    """No feed of an ingest run worked (each has already had its retries)."""

    hint = "see the lines above for each feed's reason"
    retryable = False


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
    retryable = False

    def __init__(self, message: str, *, email: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.email = email


class TokenError(NewsletterError):
    """A signed link token that is forged, altered, truncated, expired or for another purpose."""

    hint = "the link may be incomplete or out of date; ask for a new one"
    retryable = False


class UnsettledError(SendError):
    """The provider may hold a batch that could not be cancelled: it stays in flight."""

    hint = "run the send again within a few minutes: the next run settles it first"


class IssueError(NewsletterError):
    """The issue asked for is not there: no such number, none built for the week, or (for a
    report) not sent yet. The same answer every time until someone builds or sends it."""

    hint = "build it first: newsletter build --week DATE"
    retryable = False

    def __init__(self, message: str, *, issue: int | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.issue = issue


class SubjectTestError(NewsletterError):
    """A subject test cannot take this step now: its sample is still going out, its wait is
    not over, or the issue went out without one. The same answer until that changes."""

    hint = "see `newsletter send --help` and docs/subject-tests.md"
    retryable = False

    def __init__(self, message: str, *, issue: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.issue = issue


class DraftError(NewsletterError):
    """The draft is not as this change, approval or send needs it: it changed since the
    version the editor saw, its sending has started, or it is not approved. The same answer
    until someone looks at it again, so no retry."""

    retryable = False

    def __init__(
        self, message: str, *, issue: int, version: int, status: str, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.issue = issue
        self.version = version  # the draft's version now
        self.status = status  # and its status now


class StaleDraftError(DraftError):
    """Someone changed the draft since the version this answer was about."""

    hint = "look at the draft again (it shows what changed) and answer that version"


class LockedDraftError(DraftError):
    """Its sending has started (or ended): it goes out as it is."""

    hint = "a sent issue stays as it went out; build another week"


class NotApprovedError(DraftError):
    """A send that needs the editor's approval of the current version, without it."""

    hint = "approve it on the review page (newsletter review --week DATE prints the link)"
