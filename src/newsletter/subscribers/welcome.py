"""The welcome mail: once per subscriber, a short text (`[welcome]` in newsletter.toml) and
the latest sent issue, whole, with the reader's own unsubscribe and vote links.

It goes through the configured backend's proof path (one message, no batch), named for what
it is (`mail: welcome`), so its events are never the issue's audience or counts. Exactly
once is the ledger's (`welcomes`): the row is recorded `pending` before the mail is handed
to the backend and settled after, in that order, so

- a second confirmation (or `subscribers add --welcome` again) finds the row and sends
  nothing;
- a crash between the record and the answer leaves it pending: it is never sent again (the
  mail may have gone);
- a refusal (the backend surely did not send it) marks it failed, and `newsletter subscribers
  add EMAIL --welcome` tries again; a lost answer marks it unknown, never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from newsletter.config.welcome import WelcomeConfig
from newsletter.delivery.backends import Backend
from newsletter.delivery.message import Envelope, Sender, Signer, personal
from newsletter.domain.delivery import Recipient
from newsletter.domain.subscriber import Status, Subscriber
from newsletter.domain.welcome import WelcomeRecord, WelcomeStatus
from newsletter.errors import SendError, UnsettledError
from newsletter.render.welcome import welcome_html, welcome_text
from newsletter.store import StoredIssue

__all__ = ["WelcomeEnvelope", "WelcomeLedger", "Welcomed", "Outcome", "send_welcome"]


class WelcomeLedger(Protocol):
    """The welcome mail's row per subscriber, and whether they were sent an issue."""

    def claim_welcome(
        self, subscriber_id: int, issue_number: int, backend: str
    ) -> WelcomeRecord | None: ...

    def settle_welcome(
        self,
        subscriber_id: int,
        status: WelcomeStatus,
        *,
        provider_id: str | None = None,
        error: str | None = None,
    ) -> None: ...

    def welcome_of(self, subscriber_id: int) -> WelcomeRecord | None: ...

    def received_issue(self, issue_number: int, subscriber_id: int) -> bool: ...


class WelcomeEnvelope(Envelope):
    """A welcome mail: its own SendGrid category and `mail` argument, at most once."""

    __slots__ = ()

    @property
    def category(self) -> str:
        return "welcome"

    @property
    def mail_kind(self) -> str:
        return "welcome"

    @property
    def once(self) -> bool:
        return True

    @property
    def proof_folder(self) -> str:
        return "welcome"  # NEWSLETTER_OUTBOX/welcome/<address>.eml


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # surely not sent: may be tried again
    UNKNOWN = "unknown"  # the answer was lost: never sent again
    ALREADY = "already"  # welcomed before (or a welcome's outcome is open): nothing sent
    OFF = "off"  # [welcome] enabled = false
    NO_ISSUE = "no-issue"  # nothing has been sent yet
    HAS_ISSUE = "has-issue"  # they were sent the latest issue already
    INACTIVE = "inactive"  # not an active subscriber


@dataclass(frozen=True, slots=True)
class Welcomed:
    """What one welcome did, and why."""

    email: str
    outcome: Outcome
    issue: int | None = None
    record: WelcomeRecord | None = None  # the ledger's row when it decided
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.outcome is Outcome.SENT

    @property
    def message(self) -> str:
        who, n = self.email, self.issue
        match self.outcome:
            case Outcome.SENT:
                return f"welcome mail with issue {n} sent to {who}"
            case Outcome.FAILED:
                return f"the welcome mail to {who} was not sent: {self.error}"
            case Outcome.UNKNOWN:
                return (
                    f"the welcome mail to {who} may have gone ({self.error}): it is not sent again"
                )
            case Outcome.OFF:
                return "no welcome mail: [welcome] enabled = false in newsletter.toml"
            case Outcome.NO_ISSUE:
                return f"no welcome mail to {who}: no issue has been sent yet (the next is their first)"
            case Outcome.HAS_ISSUE:
                return f"no welcome mail to {who}: they were sent issue {n} already"
            case Outcome.INACTIVE:
                return f"no welcome mail to {who}: they are not an active subscriber"
            case Outcome.ALREADY:
                return _already(who, self.record)


def _already(who: str, record: WelcomeRecord | None) -> str:
    if record is None:
        return f"no welcome mail to {who}: they were welcomed already"
    at = f"{record.updated_at:%Y-%m-%d %H:%M} UTC"
    if record.status is WelcomeStatus.PENDING:
        return (
            f"no welcome mail to {who}: one was handed to {record.backend} at {at} and its "
            "outcome never recorded (the process stopped): it may have gone, so it is not sent again"
        )
    if record.status is WelcomeStatus.UNKNOWN:
        return (
            f"no welcome mail to {who}: one may have gone at {at} ({record.error}); not sent again"
        )
    return f"no welcome mail to {who}: they were welcomed with issue {record.issue_number} at {at}"


def send_welcome(
    ledger: WelcomeLedger,
    sub: Subscriber,
    issue: StoredIssue | None,
    config: WelcomeConfig,
    backend: Backend,
    sender: Sender,
    token: Signer,
) -> Welcomed:
    """Welcome `sub` with `issue` (the latest sent one; None if none was) through `backend`,
    at most once: recorded before it goes, settled after."""
    if not config.enabled:
        return Welcomed(sub.email, Outcome.OFF)
    if sub.status is not Status.ACTIVE:
        return Welcomed(sub.email, Outcome.INACTIVE)
    if issue is None:
        return Welcomed(sub.email, Outcome.NO_ISSUE)
    if ledger.received_issue(issue.number, sub.id):
        return Welcomed(sub.email, Outcome.HAS_ISSUE, issue.number)
    claimed = ledger.claim_welcome(sub.id, issue.number, backend.name)
    if claimed is None:
        return Welcomed(sub.email, Outcome.ALREADY, issue.number, ledger.welcome_of(sub.id))
    envelope = welcome_envelope(issue, config, sender)
    who = personal(envelope, Recipient(sub.id, sub.email, sub.name), token)
    # its own Message-ID: never folded into the issue's copy of the same reader
    who = who._replace(message_id=f"<welcome-{issue.number}.sub-{sub.id}@{sender.domain}>")
    try:
        backend.send_proof(envelope, [who])
    except UnsettledError as exc:  # before SendError: it is one
        ledger.settle_welcome(sub.id, WelcomeStatus.UNKNOWN, error=str(exc))
        return Welcomed(sub.email, Outcome.UNKNOWN, issue.number, claimed, str(exc))
    except SendError as exc:
        ledger.settle_welcome(sub.id, WelcomeStatus.FAILED, error=str(exc))
        return Welcomed(sub.email, Outcome.FAILED, issue.number, claimed, str(exc))
    ledger.settle_welcome(sub.id, WelcomeStatus.SENT, provider_id=who.message_id)
    return Welcomed(sub.email, Outcome.SENT, issue.number, claimed)


def welcome_envelope(issue: StoredIssue, config: WelcomeConfig, sender: Sender) -> WelcomeEnvelope:
    """The welcome mail for `issue`, its per-issue links filled (the reader's are left)."""
    subject, paragraphs = config.filled(
        title=issue.title, site=sender.from_name or "our newsletter"
    )
    return WelcomeEnvelope.for_issue(
        issue.number,
        subject,
        welcome_html(issue.html, paragraphs),
        welcome_text(issue.text, paragraphs),
        sender,
    )
