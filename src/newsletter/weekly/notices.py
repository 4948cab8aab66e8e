"""Notices to the editors: a failed run, a week short of papers, an issue left unapproved.

They go through the configured delivery backend like a proof: only to the editors named in
`[approval] editors`, recorded nowhere (the outbox keeps the latest one per editor as
`<outbox>/proofs/issue-0/<address>.eml`). Secrets are blanked out of every notice.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from newsletter.app import default_backend, open_backend, sender_for
from newsletter.config import EditorConfig, Settings, load_editor_config
from newsletter.delivery.message import Envelope, personal
from newsletter.domain.delivery import Recipient
from newsletter.weekly.steps import proof_recipients

NOTICE_ISSUE = 0  # notices belong to no issue
SUBJECT_PREFIX = "[newsletter]"


def notify_editors(
    settings: Settings,
    subject: str,
    text: str,
    *,
    backend: str | None = None,
    editor: EditorConfig | None = None,
) -> tuple[str, ...]:
    """Send `subject` and `text` to the editors; the addresses it went to (none configured: ())."""
    editors = proof_recipients(editor or load_editor_config(settings.config), ())
    if not editors:
        return ()
    name = backend or default_backend(settings)
    sender, token = sender_for(settings, name)
    body = redact(settings, text)
    html = f'<html><body><pre style="white-space:pre-wrap">{escape(body)}</pre></body></html>'
    envelope = Envelope(
        NOTICE_ISSUE, f"{SUBJECT_PREFIX} {redact(settings, subject)}", html, body, sender
    )
    people = [personal(envelope, Recipient(0, address, None), token) for address in editors]
    sending = open_backend(settings, name)
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
