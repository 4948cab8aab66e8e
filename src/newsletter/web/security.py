"""What keeps the web endpoints safe: headers, CSRF tokens, origin checks, body caps, and the
check of SendGrid's webhook signature (rate limits: limits.py; the server itself: server.py).

Pure functions and small classes; the app (web.py) wires them in.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsletter.errors import ConfigError

# Our own pages: no script at all, styles and images from this site only, forms post here.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# An issue is the email itself: inline styles (premailer) and remote images, still no script.
ISSUE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
NO_STORE = "no-store"  # personal pages: a shared cache or the back button must not replay them
FORM_LIMIT = 64 * 1024


class SecurityHeaders:
    """ASGI middleware: the headers every response gets unless the route set its own.

    Cache-Control defaults to no-store, so a page is personal unless it says otherwise.
    Referrer-Policy same-origin keeps tokens in our URLs from leaking to other sites while
    still letting our own form posts carry an Origin (no-referrer would make it "null").
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure_headers(MutableHeaders(scope=message), hsts=self.hsts)
            await send(message)

        await self.app(scope, receive, with_headers)


def secure_headers(headers: MutableHeaders, *, hsts: bool) -> None:
    """The headers every response carries, unless the route set its own."""
    headers.setdefault("Content-Security-Policy", PAGE_CSP)
    headers.setdefault("Cache-Control", NO_STORE)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if hsts:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


class Csrf:
    """Signed double-submit: a random cookie, and a form field that is its HMAC.

    A forged form needs the field for the victim's cookie, which takes the secret; a
    cookie planted by a sibling domain is useless without it too. The cookie is SameSite
    Strict, so a cross-site post does not even carry it.
    """

    COOKIE = "newsletter_csrf"
    FIELD = "csrf"

    def __init__(self, secret: str, *, secure: bool) -> None:
        self._key = hashlib.sha256(f"csrf:{secret}".encode()).digest()
        self.secure = secure

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    def token_for(self, cookie: str) -> str:
        mac = hmac.digest(self._key, cookie.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token or len(cookie) > 100:
            return False
        return hmac.compare_digest(self.token_for(cookie), token)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(request: Request, trusted: str) -> bool:
    """Whether a form post comes from our own pages, by Origin (or Referer when it is absent).

    `trusted` is the public origin (NEWSLETTER_BASE_URL), the one truth: the Host header a
    request carries is not trusted for this. When neither header is sent (old clients,
    privacy tools) the CSRF token alone decides.
    """
    origin = request.headers.get("origin")
    if origin is not None:
        return bool(trusted) and origin.lower() == trusted  # "null" (sandboxed) is refused
    referer = request.headers.get("referer")
    return referer is None or origin_of(referer) == trusted


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (413) anything over `limit` bytes before reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, "request body too large")
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, "request body too large")
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or closed by the server for sending too slowly
        raise HTTPException(400, "the request's body did not arrive") from None
    return b"".join(chunks)


class RequestFraming:
    """ASGI middleware: a request with both Content-Length and Transfer-Encoding is refused
    with 400 and its connection closed, before anything reads it. The two disagree on where
    the body ends (RFC 9112 §6.3), which is how requests are smuggled past a proxy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = {name.lower() for name, _ in scope["headers"]}
            if b"content-length" in names and b"transfer-encoding" in names:
                await _refuse_framing(send)
                return
        await self.app(scope, receive, send)


async def _refuse_framing(send: Send) -> None:
    body = b"Bad Request: both Content-Length and Transfer-Encoding\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # uvicorn closes the connection after this answer
    ]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_form(request: Request) -> dict[str, str]:
    return parse_form(await read_body(request, FORM_LIMIT), request.headers.get("content-type", ""))


def parse_form(body: bytes, content_type: str) -> dict[str, str]:
    """Form fields (the first of each name) from an urlencoded or multipart/form-data body.

    RFC 8058 lets mail providers post the one-click body either way; the standard library
    reads both, so no multipart dependency is needed.
    """
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return _multipart(body, content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    fields: dict[str, str] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=50)
    except ValueError:  # more fields than any of our forms has
        return {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return fields
    for part in list(message.iter_parts())[:50]:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields.setdefault(name, payload.decode("utf-8", "replace"))
    return fields


# -- SendGrid's signed Event Webhook ------------------------------------------------------

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


class WebhookRejected(Exception):
    """The post is not provably from SendGrid, or not from now."""


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key: base64 DER as SendGrid shows it (a PEM block works too)."""
    try:
        if text.strip().startswith("-----BEGIN"):
            key = load_pem_public_key(text.strip().encode())
        else:
            key = load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            f"SENDGRID_WEBHOOK_PUBLIC_KEY is not a public key: {exc}",
            hint="paste the verification key from SendGrid's Mail Settings, Signed Event Webhook",
        ) from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ConfigError("SENDGRID_WEBHOOK_PUBLIC_KEY is not an ECDSA P-256 key")
    return key


class WebhookVerifier:
    def __init__(self, public_key: str, max_age: float) -> None:
        self.key = load_public_key(public_key)
        self.max_age = max_age

    def check_headers(self, signature: str | None, timestamp: str | None, now: float) -> None:
        """What can be refused before the body is read: no signature, a bad or stale timestamp."""
        if not signature or not timestamp or len(signature) > 200:
            raise WebhookRejected("missing signature")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise WebhookRejected("bad timestamp")
        if abs(now - int(timestamp)) > self.max_age:  # a replayed old post, or a wrong clock
            raise WebhookRejected("stale timestamp")

    def verify(self, body: bytes, signature: str | None, timestamp: str | None, now: float) -> None:
        """Raise WebhookRejected unless SendGrid signed exactly this body, recently."""
        self.check_headers(signature, timestamp, now)
        assert signature is not None and timestamp is not None  # checked just above
        try:
            signed = base64.b64decode(signature.strip(), validate=True)
            self.key.verify(signed, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        except (binascii.Error, ValueError, InvalidSignature):
            raise WebhookRejected("bad signature") from None
