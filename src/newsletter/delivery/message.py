"""What goes out: the issue rendered once, and what differs per recipient.

The HTML and text are rendered and inlined once per issue; each recipient only gets
their own unsubscribe link, name and vote links by substitution, never a re-render.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import NamedTuple, Self

from newsletter.domain.delivery import Recipient
from newsletter.domain.subscriber import clean_name
from newsletter.errors import ConfigError
from newsletter.render.placeholders import (
    NAME_HTML_PLACEHOLDER,
    NAME_PLACEHOLDER,
    SITE_PLACEHOLDER,
    UNSUBSCRIBE_PLACEHOLDER,
    VIEW_PLACEHOLDER,
    VOTER_PLACEHOLDER,
    vote_count,
    vote_key,
)
from newsletter.tokens import MAX_PAPERS, VoteSigner

# RFC 8058 one-click unsubscribe: the field and value a mail provider posts to the link in
# List-Unsubscribe, announced by the List-Unsubscribe-Post header.
ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"
LIST_UNSUBSCRIBE_POST = f"{ONE_CLICK_FIELD}={ONE_CLICK_VALUE}"
# CRLF line ends as SMTP wants them; lines up to RFC 5322's 998 characters, so that a long
# List-Unsubscribe stays plain instead of being folded into encoded words clients ignore.
WIRE = email.policy.SMTP.clone(max_line_length=998)
# What builds address lists in a header (RFC 5322 specials): a name keeps none of it in To:.
_ADDRESS_SYNTAX = re.compile(r'[<>,;:@"\\()\[\]]')


def header_name(name: str) -> str:
    """A reader's name as the To: header shows it, for every backend: without the characters
    that make address lists, so the header always holds exactly one address, theirs.

    "Reply here <attacker@evil.example>, ü" would otherwise read as two recipients in mail
    clients (Reply-All to the stranger); SendGrid does not quote names either. The greeting
    in the body (%%name%%) keeps the name as typed.
    """
    return " ".join(_ADDRESS_SYNTAX.sub(" ", name).split())


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends, where the web endpoints live, and how links are signed."""

    from_name: str
    from_email: str
    base_url: str
    secret: str
    unsubscribe_mailto: str

    @classmethod
    def parse(
        cls, from_address: str, base_url: str, secret: str, mailto: str | None = None
    ) -> Sender:
        name, email = parseaddr(from_address)
        if "@" not in email:
            raise ConfigError(
                f"NEWSLETTER_FROM is not an address: {from_address!r}",
                hint='write it as "Name <newsletter@example.org>"',
            )
        return cls(name, email, base_url.rstrip("/"), secret, mailto or email)

    @property
    def domain(self) -> str:
        return self.from_email.rpartition("@")[2]


@dataclass(frozen=True, slots=True)
class Envelope:
    """One issue, rendered once, with the per-issue links already filled in."""

    issue_number: int
    subject: str
    html: str
    text: str
    sender: Sender
    # A subject test's subject lines: a recipient with a variant gets theirs, others `subject`.
    variants: tuple[str, ...] = ()
    # how many papers each reader gets vote links for (their placeholders in the bodies), and
    # the signer of those links: worked out from the bodies, however the envelope is made
    papers: int = field(init=False, default=0)
    vote_signer: VoteSigner | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A template may write the documented %%name%% in its HTML too: the HTML part always
        # gets the HTML-escaped name, whatever key the template used.
        if NAME_PLACEHOLDER in self.html:
            object.__setattr__(
                self, "html", self.html.replace(NAME_PLACEHOLDER, NAME_HTML_PLACEHOLDER)
            )
        papers = min(max(vote_count(self.html), vote_count(self.text)), MAX_PAPERS)
        if papers and self.issue_number > 0:
            object.__setattr__(self, "papers", papers)
            object.__setattr__(self, "vote_signer", VoteSigner(self.sender.secret))

    @classmethod
    def for_issue(cls, number: int, subject: str, html: str, text: str, sender: Sender) -> Self:
        """The issue's envelope with its per-issue parts filled: the view link, the site."""
        view = f"{sender.base_url}/issues/{number}"

        def filled(body: str) -> str:
            return body.replace(VIEW_PLACEHOLDER, view).replace(SITE_PLACEHOLDER, sender.base_url)

        return cls(number, subject, filled(html), filled(text), sender)

    def subject_for(self, recipient: Recipient) -> str:
        if recipient.variant is None or not self.variants:
            return self.subject
        return self.variants[recipient.variant]

    @property
    def category(self) -> str:
        return f"issue-{self.issue_number}"

    @property
    def mail_kind(self) -> str:
        """What this message is when it goes the proof path (to the editors, or one reader
        outside any send): never one of the issue's audience."""
        return "proof"

    @property
    def once(self) -> bool:
        """Whether the proof path must never repeat a request whose answer was lost (a
        welcome mail: at most once); proofs and confirmations are simply tried again."""
        return False

    @property
    def proof_folder(self) -> str:
        """Where the outbox files a message that goes the proof path, under its folder."""
        return f"proofs/issue-{self.issue_number}"


class Personal(NamedTuple):
    """What differs for one recipient (a tuple: a send makes one per subscriber)."""

    recipient: Recipient
    unsubscribe_url: str
    list_unsubscribe: str
    message_id: str
    name: str  # as any part may show it: one line, no control characters ("" if none)
    voter: str = ""  # the reader's part of their vote tokens ("" without vote links)
    votes: tuple[str, ...] = ()  # the reader's vote tag for each paper, in issue order

    def named(self) -> dict[str, str]:
        """The reader's named slots, each value escaped for the part its key stands in: the
        HTML part has its own name key; the voter and tags are urlsafe base64, safe anywhere."""
        name = self.name
        found: dict[str, str] = {
            UNSUBSCRIBE_PLACEHOLDER: self.unsubscribe_url,
            NAME_PLACEHOLDER: name,
            NAME_HTML_PLACEHOLDER: html.escape(name),
        }
        if self.votes:
            found[VOTER_PLACEHOLDER] = self.voter
        return found

    def substitutions(self) -> dict[str, str]:
        """Every slot of the reader's: the named ones, and each paper's vote tag."""
        found = self.named()
        found.update(zip(vote_keys(len(self.votes)), self.votes, strict=True))
        return found

    def fill(self, body: str) -> str:
        for key, value in self.substitutions().items():
            body = body.replace(key, value)
        return body

    def headers(self) -> dict[str, str]:
        """RFC 8058 one-click unsubscribe, as Gmail and Yahoo require of bulk senders."""
        return {
            "List-Unsubscribe": self.list_unsubscribe,
            "List-Unsubscribe-Post": LIST_UNSUBSCRIBE_POST,
        }


Signer = Callable[[int], str]
_VOTE_KEYS = tuple(vote_key(n) for n in range(1, 101))  # an issue has at most 100 papers


def vote_keys(papers: int) -> tuple[str, ...]:
    """The tag placeholders of an issue's first `papers` papers."""
    if papers <= len(_VOTE_KEYS):
        return _VOTE_KEYS[:papers]
    return tuple(vote_key(n) for n in range(1, papers + 1))


def personal(envelope: Envelope, recipient: Recipient, token: Signer) -> Personal:
    s = envelope.sender
    signed = token(recipient.subscriber_id)
    signer = envelope.vote_signer
    voter, votes = (
        signer.tags(recipient.subscriber_id, envelope.issue_number, envelope.papers)
        if signer is not None
        else ("", ())
    )
    url = f"{s.base_url}/u/{signed}"
    # Tokens are urlsafe base64 and dots: only the space needs escaping.
    mailto = f"mailto:{s.unsubscribe_mailto}?subject=unsubscribe%20{signed}"
    return Personal(
        recipient=recipient,
        unsubscribe_url=url,
        list_unsubscribe=f"<{mailto}>, <{url}>",
        # the same id on a resend lets mail clients fold a duplicate away
        message_id=f"<issue-{envelope.issue_number}.sub-{recipient.subscriber_id}@{s.domain}>",
        name=clean_name(recipient.name) or "",
        voter=voter,
        votes=votes,
    )


def mime(envelope: Envelope, who: Personal, *, now: dt.datetime | None = None) -> EmailMessage:
    """The whole message for SMTP or the outbox: text and HTML alternatives, list headers."""
    msg = EmailMessage(policy=WIRE)
    s = envelope.sender
    msg["From"] = formataddr((s.from_name, s.from_email))
    # An Address, not a string: the policy quotes or encodes the name as one display name.
    msg["To"] = Address(header_name(who.name), addr_spec=who.recipient.email)
    msg["Subject"] = envelope.subject_for(who.recipient)
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = who.message_id
    for key, value in who.headers().items():
        msg[key] = value
    msg["X-Newsletter-Issue"] = str(envelope.issue_number)
    msg.set_content(who.fill(envelope.text))
    msg.add_alternative(who.fill(envelope.html), subtype="html")
    return msg
