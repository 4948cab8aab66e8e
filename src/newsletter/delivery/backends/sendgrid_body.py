"""The v3 Mail Send body, written straight as JSON text.

A send writes a million personalizations; building a dict for each and handing them all
to json.dumps cost three times what formatting each one does. Every string still goes
through the json module's own (C) string encoder, so any text a reader typed is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from newsletter.delivery.message import (
    LIST_UNSUBSCRIBE_POST,
    Envelope,
    Personal,
    Signer,
    header_name,
    personal,
    vote_keys,
)
from newsletter.domain.delivery import Recipient
from newsletter.tokens import MAX_PAPERS

# A JSON string literal for a str: quotes, backslashes and control characters escaped.
_s: Callable[[str], str] = json.encoder.encode_basestring
# Each paper's vote-tag key as JSON with its colon, encoded once (a send writes millions).
_VOTE_KEYS = tuple(f"{_s(key)}:" for key in vote_keys(MAX_PAPERS))


@dataclass(frozen=True, slots=True)
class Tracking:
    """SendGrid's open and click tracking, as the issue report needs them."""

    opens: bool = True
    clicks: bool = True

    def settings(self) -> dict[str, Any]:
        # Links in the text part stay readable: only the HTML part's links are rewritten.
        return {
            "click_tracking": {"enable": self.clicks, "enable_text": False},
            "open_tracking": {"enable": self.opens},
        }


TRACK_ALL = Tracking()


def body_json(
    envelope: Envelope,
    people: Sequence[Personal],
    *,
    batch_id: str | None,
    send_at: int | None,
    tracking: Tracking = TRACK_ALL,
    proof: bool = False,
) -> str:
    """One personalization per person (each address once), the issue's content once.

    A `proof` (the editors' copy, a confirmation, a notice) names no issue and no subscriber in
    its custom_args, only what it is (`mail`), so its events are never counted as the issue's.
    """
    args = f'"mail":{_s(envelope.mail_kind)}' if proof else None
    issue = _s(str(envelope.issue_number))
    parts = ",".join([_personalization(issue, who, args, envelope) for who in people])
    tail = ""
    if batch_id:
        tail += f',"batch_id":{_s(batch_id)}'
    if send_at:
        tail += f',"send_at":{int(send_at)}'
    return f'{{{_envelope_json(envelope, tracking, proof)},"personalizations":[{parts}]{tail}}}'


@lru_cache(maxsize=4)
def _envelope_json(envelope: Envelope, tracking: Tracking, proof: bool = False) -> str:
    """What every batch of an issue shares, once per issue: the members of the body
    object without their braces."""
    s = envelope.sender
    sender = (
        {"email": s.from_email, "name": s.from_name} if s.from_name else {"email": s.from_email}
    )
    shared = {
        "from": sender,
        "subject": envelope.subject,
        "content": [
            {"type": "text/plain", "value": envelope.text},
            {"type": "text/html", "value": envelope.html},
        ],
        "categories": [envelope.mail_kind] if proof else ["newsletter", envelope.category],
        "tracking_settings": tracking.settings(),
        # the same for everyone: once here, merged by SendGrid into every personalization
        "headers": {"List-Unsubscribe-Post": LIST_UNSUBSCRIBE_POST},
    }
    return json.dumps(shared, ensure_ascii=False, separators=(",", ":"))[1:-1]


def _personalization(
    issue: str, who: Personal, args: str | None = None, envelope: Envelope | None = None
) -> str:
    r, name = who.recipient, header_name(who.name)
    args = args or f'"issue":{issue},"subscriber":"{r.subscriber_id}"'
    email = _s(r.email)
    to = f'{{"email":{email},"name":{_s(name)}}}' if name else f'{{"email":{email}}}'
    substitutions = ",".join([f"{_s(k)}:{_s(v)}" for k, v in who.named().items()])
    if who.votes:  # a tag per paper: urlsafe base64, which JSON takes as it is
        substitutions += "".join(
            [f',{k}"{tag}"' for k, tag in zip(_VOTE_KEYS, who.votes, strict=False)]
        )
    # a subject test's reader: their variant's subject overrides the body's
    own = envelope.subject_for(r) if envelope and r.variant is not None else None
    subject = f'"subject":{_s(own)},' if own else ""
    return (
        f'{{"to":[{to}],{subject}"substitutions":{{{substitutions}}},'
        f'"headers":{{"List-Unsubscribe":{_s(who.list_unsubscribe)}}},'
        f'"custom_args":{{{args}}}}}'
    )


def write_batch(
    envelope: Envelope,
    recipients: Sequence[Recipient],
    token: Signer,
    batch_id: str | None,
    send_at: int | None,
    tracking: Tracking,
) -> str:
    """The body for a batch of readers, each with their own signed links."""
    people = [personal(envelope, r, token) for r in recipients]
    return body_json(envelope, people, batch_id=batch_id, send_at=send_at, tracking=tracking)
