"""The signed links of the editor's review: each editor's link to a draft's review page
(`newsletter review` prints it, the proof's first button and the paused run's form carry it),
the draft's preview (what a proof's "View in browser" opens, and the page's frame), and the
page a proof's unsubscribe link opens.

Review and preview links work for `[approval] timeout_hours` after they are made (what the
editor has to answer in), signed with NEWSLETTER_SECRET for their purpose; a review link
also for its editor, and only while that address is in `[approval] editors`. Anything else
(forged, expired, another purpose, another editor) reads as no link at all.
"""

from __future__ import annotations

import datetime as dt

from newsletter.app import App
from newsletter.domain.subscriber import normalise_email
from newsletter.errors import ConfigError, TokenError
from newsletter.tokens import Purpose, editor_token, make_token, read_editor_token, read_token

__all__ = [
    "PROOF_PATH",
    "editors",
    "max_age",
    "opened",
    "preview_link",
    "previewed",
    "proof_page",
    "review_link",
    "review_links",
]

PROOF_PATH = "/proof"  # what a proof's unsubscribe link opens: "this is a proof"


def editors(app: App) -> list[str]:
    """`[approval] editors`, as addresses."""
    return [normalise_email(e) for e in app.approval().editors if e.strip()]


def max_age(app: App) -> dt.timedelta:
    return dt.timedelta(hours=app.approval().timeout_hours)


def review_link(app: App, number: int, editor: str, *, now: dt.datetime | None = None) -> str:
    """Issue `number`'s review page for `editor` (one of `[approval] editors`)."""
    known = {e.casefold(): e for e in editors(app)}
    found = known.get(editor.strip().casefold())
    if found is None:
        raise ConfigError(
            f"{editor} is not one of the editors",
            hint="review links are for the addresses in newsletter.toml's [approval] editors",
        )
    base, secret = _keys(app)
    token = editor_token(number, found, secret, Purpose.REVIEW, issued_at=now or _now())
    return f"{base}/review/{token}"


def review_links(app: App, number: int) -> dict[str, str]:
    """Each editor's review link to issue `number` (none without editors)."""
    now = _now()
    return {e: review_link(app, number, e, now=now) for e in editors(app)}


def preview_link(app: App, number: int, *, now: dt.datetime | None = None) -> str:
    base, secret = _keys(app)
    token = make_token(number, secret, Purpose.PREVIEW, issued_at=now or _now())
    return f"{base}/preview/{token}"


def proof_page(app: App) -> str:
    return f"{_keys(app)[0]}{PROOF_PATH}"


def opened(app: App, token: str, now: dt.datetime) -> tuple[int, str] | None:
    """(issue number, editor) of a genuine, current review link; None for anything else."""
    try:
        return read_editor_token(
            token, _keys(app)[1], editors(app), Purpose.REVIEW, max_age=max_age(app), now=now
        )
    except (TokenError, ConfigError):
        return None


def previewed(app: App, token: str, now: dt.datetime) -> int | None:
    """The issue number of a genuine, current preview link; None for anything else."""
    try:
        return read_token(token, _keys(app)[1], Purpose.PREVIEW, max_age=max_age(app), now=now)
    except (TokenError, ConfigError):
        return None


def _keys(app: App) -> tuple[str, str]:
    """The public base URL and the secret, as the mail's links have them."""
    sender, _ = app.sender(app.backend())
    return sender.base_url, sender.secret


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
