"""Signed link tokens: unsubscribe, confirm, report, vote, review and preview links that
cannot be forged or repurposed. Delivery signs the links each reader gets; the web app signs
confirmation mail and checks every token it is shown; both come here.

A token is `<payload>.<mac>`, both urlsafe base64 without padding. The payload is a number
(a subscriber id; an issue's for report links), optionally followed by the second it was
issued (for links that expire). The MAC is HMAC-SHA256 with the secret over the purpose and
the payload, so a token made for one purpose is worthless for another. Unsubscribe links
carry no time: they must keep working in old emails. A review link is signed for one issue
and one editor too: its key is the secret bound to the editor's address, so it opens only
while that address is among the editors.

Vote links (`VoteSigner`, `read_vote`) are signed for one reader, one issue and one paper,
and a send signs one per reader for every paper: `<payload>.<n>.<tag>`, where the payload
is the reader and the issue, n the paper's place in the issue, and the tag the n-th 18-byte
block of SHAKE-256 over HMAC-SHA256(secret, "vote:" + payload). One HMAC per reader and
issue, however many papers; each block signs one paper (a tag for paper 2 is worthless for
paper 3, another reader or another issue).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from enum import StrEnum
from typing import NamedTuple

from newsletter.errors import ConfigError, TokenError

__all__ = [
    "Purpose",
    "TokenSigner",
    "VoteRef",
    "VoteSigner",
    "editor_token",
    "make_token",
    "read_editor_token",
    "read_token",
    "read_token_issued",
    "read_vote",
]


class Purpose(StrEnum):
    """What a token is for; a token signed for one is refused for every other."""

    UNSUBSCRIBE = "unsubscribe"  # every issue's links; never expires
    CONFIRM = "confirm"  # the double opt-in mail; expires
    REPORT = "report"  # an issue's engagement report page (the payload is the issue number)
    VOTE = "vote"  # "useful" / "not for me" under a paper: one reader, one issue, one paper
    REVIEW = "review"  # a draft's review page, for one editor (the issue number); expires
    PREVIEW = "preview"  # a draft as it would be mailed, read-only (the issue number); expires


# A strict shape check first: urlsafe_b64decode silently skips characters outside the
# alphabet, which would let an altered token decode to the original bytes.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,44}\.[A-Za-z0-9_-]{43}")
_PAYLOAD = re.compile(r"(0|[1-9][0-9]{0,18})(?:\.(0|[1-9][0-9]{0,11}))?")
_PURPOSE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
CLOCK_SKEW = dt.timedelta(minutes=5)  # servers disagree a little about the time


def make_token(
    subscriber_id: int,
    secret: str,
    purpose: str = Purpose.UNSUBSCRIBE,
    *,
    issued_at: dt.datetime | None = None,
) -> str:
    """A token for `subscriber_id` and `purpose`; pass `issued_at` for links that expire."""
    return TokenSigner(secret, purpose).token(_payload(subscriber_id, issued_at))


class TokenSigner:
    """Tokens of one secret and purpose: checked and encoded once, since a send signs one
    unsubscribe link per reader. `signer(id)` is `make_token(id, secret, purpose)`."""

    __slots__ = ("key", "prefix")

    def __init__(self, secret: str, purpose: str = Purpose.UNSUBSCRIBE) -> None:
        if not secret:
            raise ConfigError(
                "no secret to sign links with", hint="set NEWSLETTER_SECRET to a long random string"
            )
        if not _PURPOSE.fullmatch(purpose):
            raise ValueError(f"a token purpose is a short lowercase word, not {purpose!r}")
        # The purpose never contains ':' and the payload never does: the message is unambiguous.
        self.key, self.prefix = secret.encode(), f"{purpose}:".encode()

    def __call__(self, subscriber_id: int) -> str:
        return self.token(_payload(subscriber_id, None))

    def token(self, payload: str) -> str:
        data = payload.encode()
        return f"{_b64(data)}.{_b64(self.mac(data))}"

    def mac(self, payload: bytes) -> bytes:
        return hmac.digest(self.key, self.prefix + payload, hashlib.sha256)  # one-shot C path


def editor_token(
    number: int, editor: str, secret: str, purpose: str, *, issued_at: dt.datetime
) -> str:
    """A token for issue `number` that opens only for `editor` (and expires)."""
    return make_token(number, _bound(secret, editor), purpose, issued_at=issued_at)


def read_editor_token(
    token: str,
    secret: str,
    editors: list[str],
    purpose: str,
    *,
    max_age: dt.timedelta,
    now: dt.datetime | None = None,
) -> tuple[int, str]:
    """The issue number and the editor (one of `editors`) a genuine, current token names;
    TokenError for anything else, an editor no longer listed included."""
    for editor in editors:
        try:
            number = read_token(token, _bound(secret, editor), purpose, max_age=max_age, now=now)
        except TokenError:
            continue
        return number, editor
    raise TokenError("not a current link of any editor")


def _bound(secret: str, editor: str) -> str:
    """The secret bound to one editor's address (no address holds a line feed)."""
    return f"{secret}\n{editor.strip().casefold()}"


def _payload(subscriber_id: int, issued_at: dt.datetime | None) -> str:
    if subscriber_id < 0:
        raise ValueError(f"subscriber ids are not negative: {subscriber_id}")
    if issued_at is None:
        return str(subscriber_id)
    return f"{subscriber_id}.{int(issued_at.timestamp())}"


def read_token(
    token: str,
    secret: str,
    purpose: str = Purpose.UNSUBSCRIBE,
    *,
    max_age: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> int:
    """The subscriber id in `token`, or TokenError if it is not a genuine, current token."""
    return read_token_issued(token, secret, purpose, max_age=max_age, now=now)[0]


def read_token_issued(
    token: str,
    secret: str,
    purpose: str,
    *,
    max_age: dt.timedelta | None = None,
    now: dt.datetime | None = None,
) -> tuple[int, dt.datetime | None]:
    """The subscriber id in `token` and when it was issued (None for tokens without a time)."""
    payload = _verified_payload(token.strip(), secret, purpose)
    match = _PAYLOAD.fullmatch(payload)
    if match is None:  # signed by us, so only an old or foreign format gets here
        raise TokenError("token has an unknown format")
    if max_age is not None:
        _check_age(match.group(2), max_age, now or dt.datetime.now(dt.UTC))
    issued = dt.datetime.fromtimestamp(int(match.group(2)), dt.UTC) if match.group(2) else None
    return int(match.group(1)), issued


def _verified_payload(token: str, secret: str, purpose: str) -> str:
    if not _TOKEN.fullmatch(token):
        raise TokenError("not a valid token")
    encoded_payload, encoded_mac = token.split(".")
    payload_bytes, given = _unb64(encoded_payload), _unb64(encoded_mac)
    try:
        payload = payload_bytes.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError("not a valid token") from None
    if not hmac.compare_digest(TokenSigner(secret, purpose).mac(payload_bytes), given):
        raise TokenError("token signature does not match (altered, or made for something else)")
    return payload


def _check_age(issued: str | None, max_age: dt.timedelta, now: dt.datetime) -> None:
    if issued is None:
        raise TokenError("token has no issue time, so its age cannot be checked")
    issued_at = dt.datetime.fromtimestamp(int(issued), dt.UTC)
    if issued_at > now + CLOCK_SKEW:
        raise TokenError("token was issued in the future")
    if now - issued_at > max_age:
        raise TokenError(
            f"token expired (valid for {max_age}, issued {issued_at:%Y-%m-%d %H:%M} UTC)"
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("not a valid token") from None
    if _b64(data) != text:  # unused low bits set: a second spelling of the same bytes
        raise TokenError("not a valid token")
    return data


# -- vote links ------------------------------------------------------------------------

TAG_BYTES = 18  # 144 bits a paper: 24 base64 characters, no padding
MAX_PAPERS = 999  # a paper's place in an issue has at most three digits
_VOTE = re.compile(r"([A-Za-z0-9_-]{1,30})\.([1-9][0-9]{0,2})\.([A-Za-z0-9_-]{24})")
_VOTE_PAYLOAD = re.compile(r"(0|[1-9][0-9]{0,9})\.([1-9][0-9]{0,9})")


class VoteRef(NamedTuple):
    """What a genuine vote token names: a reader, an issue, and the paper's place in it (from 1)."""

    subscriber_id: int
    issue_number: int
    position: int


class VoteSigner:
    """Vote tokens of one secret: `tags(reader, issue, papers)` signs a reader's links for the
    issue's first `papers` papers at once (one HMAC, one SHAKE-256 call)."""

    __slots__ = ("key",)

    def __init__(self, secret: str) -> None:
        self.key = TokenSigner(secret, Purpose.VOTE)  # checks the secret; keeps key and prefix

    def tags(
        self, subscriber_id: int, issue_number: int, papers: int
    ) -> tuple[str, tuple[str, ...]]:
        """The reader's part of their tokens (`<payload>`), and the tag of each of the first
        `papers` papers: token n is `f"{head}.{n}.{tags[n - 1]}"`. Delivery substitutes these
        pieces, which the rendered issue puts together."""
        if subscriber_id < 0 or issue_number < 1 or not 0 <= papers <= MAX_PAPERS:
            raise ValueError(f"no vote links for {subscriber_id}, {issue_number}, {papers}")
        payload = f"{subscriber_id}.{issue_number}".encode()
        stream = _b64(_stream(self.key.mac(payload), papers))  # 18 bytes are 24 characters
        return _b64(payload), tuple([stream[n : n + 24] for n in range(0, 24 * papers, 24)])

    def tokens(self, subscriber_id: int, issue_number: int, papers: int) -> tuple[str, ...]:
        """The reader's whole vote tokens for the issue's first `papers` papers."""
        head, tags = self.tags(subscriber_id, issue_number, papers)
        return tuple(f"{head}.{n}.{tag}" for n, tag in enumerate(tags, 1))


def read_vote(token: str, secret: str) -> VoteRef:
    """The reader, issue and paper a vote token was signed for; TokenError if it is not one."""
    match = _VOTE.fullmatch(token.strip())
    if match is None:
        raise TokenError("not a valid vote token")
    payload_bytes, position = _unb64(match.group(1)), int(match.group(2))
    payload = _VOTE_PAYLOAD.fullmatch(payload_bytes.decode("ascii", "replace"))
    if payload is None:
        raise TokenError("not a valid vote token")
    block = _stream(TokenSigner(secret, Purpose.VOTE).mac(payload_bytes), position)[-TAG_BYTES:]
    if not hmac.compare_digest(block, _unb64(match.group(3))):
        raise TokenError("token signature does not match (altered, or made for something else)")
    return VoteRef(int(payload.group(1)), int(payload.group(2)), position)


def _stream(key: bytes, papers: int) -> bytes:
    """The tags of the first `papers` papers, end to end: SHAKE-256 of the reader's key."""
    return hashlib.shake_256(key).digest(TAG_BYTES * papers)
