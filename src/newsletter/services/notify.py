"""Notices to the editors: a failed run, a week short of papers, an issue left unapproved.

They go through the configured delivery backend like a proof: only to the editors named in
`[approval] editors`, recorded nowhere (the outbox keeps the latest one per editor as
`<outbox>/proofs/issue-0/<address>.eml`). Secrets are blanked out of every notice.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from newsletter.app import App
from newsletter.config import Settings
from newsletter.delivery.message import Envelope, personal
from newsletter.domain.delivery import Recipient
from newsletter.services.send import proof_recipients

__all__ = ["notify_editors", "redact"]

NOTICE_ISSUE = 0  # notices belong to no issue
SUBJECT_PREFIX = "[newsletter]"


def notify_editors(
    app: App, subject: str, text: str, *, backend: str | None = None
) -> tuple[str, ...]:
    """Send `subject` and `text` to the editors; the addresses it went to (none configured: ())."""
    editors = proof_recipients(app.editor(), ())
    if not editors:
        return ()
    settings = app.settings
    name = app.backend(backend)
    sender, token = app.sender(name)
    body = redact(settings, text)
    html = f'<html><body><pre style="white-space:pre-wrap">{escape(body)}</pre></body></html>'
    envelope = Envelope(
        NOTICE_ISSUE, f"{SUBJECT_PREFIX} {redact(settings, subject)}", html, body, sender
    )
    people = [personal(envelope, Recipient(0, address, None), token) for address in editors]
    sending = app.open_backend(name)
    try:
        sending.send_proof(envelope, people)
    finally:
        sending.close()
    return editors


def redact(settings: Settings, text: str) -> str:
    """`text` with every configured secret (API key, SMTP URL and password, link secret) blanked."""
    for secret in _secrets(settings):
        text = text.replace(secret, "***")
    return text


def _secrets(settings: Settings) -> list[str]:
    found = [
        s.get_secret_value()
        for s in (
            settings.sendgrid_api_key,
            settings.smtp_url,
            settings.secret,
            settings.report_secret,
        )
        if s
    ]
    if settings.smtp_url:
        password = urlsplit(settings.smtp_url.get_secret_value()).password
        if password:
            found.append(password)
    # the longest first, so a password inside its URL does not leave the rest of the URL behind
    return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)
