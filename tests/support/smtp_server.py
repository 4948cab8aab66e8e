"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), recording what it accepts.

    with SMTPServer(auth=("user", "secret"), starttls=True) as server:
        with smtplib.SMTP(server.host, server.port) as smtp:
            smtp.starttls(context=server.client_tls_context())
            smtp.login("user", "secret")
            smtp.sendmail("news@example.com", ["a@example.com"], b"Subject: hi\\r\\n\\r\\nhello")
        assert server.messages[0].rcpt_tos == ["a@example.com"]

Faults: `temp_fail` (4xx for the next N MAIL/RCPT/DATA), `reject_recipient` (5xx for an
address, case-insensitive, until `clear_faults`), `drop` (close the connection at the next N
MAIL/RCPT/DATA without answering; for DATA optionally after recording the message).
The STARTTLS certificate is a self-signed one generated once per test session.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.scripts import ScriptQueue

__all__ = ["Received", "SMTPServer", "Stage", "self_signed_pem"]

Stage = Literal["MAIL", "RCPT", "DATA"]


class Received(NamedTuple):
    """One message the server accepted (250 to DATA)."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the raw message, as the client sent it (dot-unstuffed)


@dataclass
class _Scripted:
    kind: Literal["temp", "drop"]
    reply: str = ""
    record: bool = False  # drop at DATA after recording the message


@cache
def self_signed_pem() -> tuple[bytes, bytes]:
    """(certificate, private key) in PEM: self-signed for localhost and 127.0.0.1, valid 1 day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _server_tls_context() -> ssl.SSLContext:
    cert_pem, key_pem = self_signed_pem()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert.write_bytes(cert_pem)
        key.write_bytes(key_pem)
        context.load_cert_chain(cert, key)
    return context


class _Session(Session):
    """aiosmtpd's Session without the deprecation warning its own AUTH code triggers."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class _SMTP(SMTP):
    def _create_session(self) -> Session:
        return _Session(self.loop)


class _Controller(Controller):
    """aiosmtpd's Controller on an ephemeral port, counting connections."""

    def __init__(self, owner: SMTPServer, **smtp_kwargs: Any) -> None:
        super().__init__(_Handler(owner), hostname="127.0.0.1", port=0, **smtp_kwargs)
        self.owner = owner

    def factory(self) -> SMTP:
        self.owner._connected()
        return _SMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _Handler:
    """aiosmtpd hooks: record, and apply the scripted faults."""

    def __init__(self, owner: SMTPServer) -> None:
        self.owner = owner

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.owner.credentials is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        temp = await self.owner._fault("MAIL", server, envelope)
        if temp is not None:
            return temp
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        temp = await self.owner._fault("RCPT", server, envelope)
        if temp is not None:
            return temp
        rejected = self.owner._rejection(address)
        if rejected is not None:
            return rejected
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        temp = await self.owner._fault("DATA", server, envelope)
        if temp is not None:
            return temp
        self.owner._record(envelope)
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server on 127.0.0.1 (ephemeral port) with optional AUTH and STARTTLS."""

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        starttls: bool = False,
        require_starttls: bool = False,
    ) -> None:
        """`auth`: the (login, password) that AUTH PLAIN/LOGIN accepts; then AUTH is required
        before MAIL, and, with `starttls`, only offered after STARTTLS."""
        self.host = "127.0.0.1"
        self.messages: list[Received] = []
        self.logins: list[str] = []  # successful AUTH logins, in order
        self.credentials = auth
        self._connections = 0
        self._lock = threading.Lock()
        self._scripts: ScriptQueue[Stage, _Scripted] = ScriptQueue()
        self._rejected: dict[str, str] = {}
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
        if starttls:
            kwargs.update(tls_context=_server_tls_context(), require_starttls=require_starttls)
        if auth is not None:
            # AUTH is required by handle_MAIL: aiosmtpd's auth_required warns without TLS
            kwargs.update(authenticator=self._authenticate, auth_require_tls=starttls)
        self._controller = _Controller(self, **kwargs)
        self._controller.start()
        with self._lock:
            self._connections = 0  # forget the controller's start-up probe

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def connections(self) -> int:
        """How many connections clients opened (a reusing client opens one)."""
        with self._lock:
            return self._connections

    def client_tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's self-signed certificate."""
        return ssl.create_default_context(cadata=self_signed_pem()[0].decode())

    def close(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- fault injection -----------------------------------------------------------------

    def temp_fail(
        self,
        stage: Stage = "RCPT",
        times: int = 1,
        *,
        code: int = 451,
        message: str = "4.3.0 Temporary failure, try again later",
    ) -> None:
        """Answer `code` (4xx) to the next `times` commands of `stage`."""
        self._scripts.add(stage, _Scripted("temp", f"{code} {message}"), times)

    def reject_recipient(
        self, address: str, *, code: int = 550, message: str = "5.1.1 Mailbox unavailable"
    ) -> None:
        """Answer `code` (5xx) to every RCPT TO of `address` (case-insensitive)."""
        with self._lock:
            self._rejected[address.lower()] = f"{code} {message}"

    def drop(self, stage: Stage = "DATA", times: int = 1, *, after_accept: bool = False) -> None:
        """Close the connection at the next `times` commands of `stage` without answering;
        with `after_accept` (DATA only) the message is recorded first."""
        self._scripts.add(stage, _Scripted("drop", record=after_accept), times)

    def clear_faults(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._rejected.clear()

    # -- called from the server's event loop ----------------------------------------------

    async def _fault(self, stage: Stage, server: SMTP, envelope: Envelope) -> str | None:
        """The 4xx reply scripted for this command; a scripted drop does not return."""
        scripted = self._scripts.take(stage)
        if scripted is None:
            return None
        if scripted.kind == "temp":
            return scripted.reply
        if scripted.record and stage == "DATA":
            self._record(envelope)
        assert isinstance(server.transport, asyncio.Transport)
        server.transport.abort()
        raise asyncio.CancelledError  # ends the session quietly, nothing answered

    def _rejection(self, address: str) -> str | None:
        with self._lock:
            return self._rejected.get(address.lower())

    def _record(self, envelope: Envelope) -> None:
        data = envelope.original_content or b""
        self.messages.append(Received(envelope.mail_from or "", list(envelope.rcpt_tos), data))

    def _connected(self) -> None:
        with self._lock:
            self._connections += 1

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if self.credentials is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = self.credentials
        if (data.login, data.password) != (login.encode(), password.encode()):
            return AuthResult(success=False, handled=False)
        self.logins.append(login)
        return AuthResult(success=True)
