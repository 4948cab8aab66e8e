"""The SMTP backend: a pool of connections (one per message in flight), each reused for
message after message and opened again after a failure; STARTTLS or TLS.

`SMTP_URL` forms: `smtp://user:pass@host:587` (STARTTLS, required), `smtps://user:pass@host:465`
(TLS from the start); query options `tls=none` (local relays without TLS only) and
`cafile=PATH` (a private CA). A temporary failure (4xx, a dropped connection) is retried
with backoff a bounded number of times; a permanent one (5xx) fails that delivery only.
"""

from __future__ import annotations

import random
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from newsletter.delivery.backends import Outcome, Recovery, Resend, Settle, send_each
from newsletter.delivery.message import Envelope, Personal, Signer, mime
from newsletter.domain.delivery import Batch
from newsletter.errors import ConfigError, SendError
from newsletter.retrying import full_jitter


@dataclass(frozen=True, slots=True)
class SMTPTarget:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    username: str | None
    password: str | None
    cafile: str | None

    @classmethod
    def parse(cls, url: str) -> SMTPTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                "SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465"
            )
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            implicit_tls=implicit,
            starttls=not implicit and options.get("tls") != "none",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            cafile=options.get("cafile"),
        )


class SMTPBackend:
    name = "smtp"
    batch_size = 100

    def __init__(
        self,
        target: SMTPTarget,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        concurrency: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.retries = retries
        self.concurrency = concurrency
        self.sleep, self.rng = sleep, rng or random.Random()
        self._idle: list[smtplib.SMTP] = []  # at most one per thread sending, so N at most
        self._lock = threading.Lock()
        self._batches = 0

    def new_batch_id(self) -> str:
        with self._lock:
            self._batches += 1
            return f"smtp-{time.time_ns()}-{self._batches}"

    def send(self, envelope: Envelope, batch: Batch, token: Signer, settle: Settle) -> Outcome:
        def deliver(who: Personal) -> tuple[str | None, str | None]:
            error = self._deliver(envelope, who)
            return (who.message_id if error is None else None), error

        return send_each(envelope, batch, token, deliver, settle)

    def recover(self, batch: Batch) -> Recovery:
        # SMTP cannot take a message back. Messages are settled one by one, so at most
        # the one in flight at the crash is unknown; it is sent again (its Message-ID is
        # the same, so mail clients fold a duplicate away).
        return Resend()

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None:
        for who in people:
            error = self._deliver(envelope, who)
            if error:
                raise SendError(
                    f"{envelope.mail_kind} to {who.recipient.email}: {error}",
                    email=who.recipient.email,
                )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass

    def _deliver(self, envelope: Envelope, who: Personal) -> str | None:
        """None when sent; the server's words when it refused for good."""
        data = mime(envelope, who).as_bytes()
        to = who.recipient.email
        for attempt in range(self.retries + 1):
            conn: smtplib.SMTP | None = None
            try:
                conn = self._checkout()
                conn.sendmail(envelope.sender.from_email, [to], data)
                self._checkin(conn)
                return None
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(to, (550, b"refused"))
                failure = (code, _say(code, text))
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                failure = (exc.smtp_code, _say(exc.smtp_code, exc.smtp_error))
            except smtplib.SMTPAuthenticationError as exc:
                raise SendError(
                    f"SMTP login refused: {_say(exc.smtp_code, exc.smtp_error)}",
                    hint="check the user and password in SMTP_URL",
                ) from exc
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
                failure = (421, f"connection lost: {exc}")
                conn = None  # dropped: the next try opens a new one
            if conn is not None:
                self._checkin(conn)  # the server refused this message, not the session
            if failure[0] >= 500:
                return failure[1]
            if attempt < self.retries:
                self.sleep(full_jitter(self.rng, attempt))
        return f"temporary failure persisted after {self.retries + 1} tries: {failure[1]}"

    def _checkout(self) -> smtplib.SMTP:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _checkin(self, conn: smtplib.SMTP) -> None:
        with self._lock:
            self._idle.append(conn)

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        context = ssl.create_default_context(cafile=t.cafile)
        conn: smtplib.SMTP
        try:
            if t.implicit_tls:
                conn = smtplib.SMTP_SSL(t.host, t.port, timeout=self.timeout, context=context)
            else:
                conn = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
                if t.starttls:
                    conn.starttls(context=context)
            if t.username:
                conn.login(t.username, t.password or "")
        except smtplib.SMTPAuthenticationError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(
                f"cannot reach the SMTP server {t.host}:{t.port}: {exc}",
                hint="check SMTP_URL and that the server is up",
            ) from exc
        return conn


def _say(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"
