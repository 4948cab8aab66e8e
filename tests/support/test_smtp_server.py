"""The SMTP test server (tests/smtp_server.py), driven by smtplib."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator

import pytest

from tests.support.smtp_server import Received, SMTPServer, self_signed_pem

MESSAGE = b"From: news@example.com\r\nTo: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n"
LOGIN = ("mailer", "s3cret")


def connect(server: SMTPServer) -> smtplib.SMTP:
    return smtplib.SMTP(server.host, server.port, timeout=5)


@pytest.fixture
def secure() -> Iterator[SMTPServer]:
    """A server with STARTTLS and AUTH (offered only after STARTTLS)."""
    with SMTPServer(auth=LOGIN, starttls=True) as server:
        yield server


def test_records_messages(smtp_server: SMTPServer) -> None:
    """An accepted message is recorded as (mail_from, rcpt_tos, raw bytes)."""
    with connect(smtp_server) as smtp:
        assert smtp.sendmail("news@example.com", ["a@example.com", "b@example.com"], MESSAGE) == {}
    assert smtp_server.messages == [
        Received("news@example.com", ["a@example.com", "b@example.com"], MESSAGE)
    ]


def test_counts_connections(smtp_server: SMTPServer) -> None:
    """Messages over one connection count one connection; a second connection counts two."""
    with connect(smtp_server) as smtp:
        for i in range(3):
            smtp.sendmail("news@example.com", [f"r{i}@example.com"], MESSAGE)
    assert (smtp_server.connections, len(smtp_server.messages)) == (1, 3)
    with connect(smtp_server) as smtp:
        smtp.noop()
    assert smtp_server.connections == 2


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_starttls_then_auth(secure: SMTPServer, mechanism: str) -> None:
    """STARTTLS with the self-signed certificate verified, then AUTH PLAIN or LOGIN."""
    with connect(secure) as smtp:
        smtp.starttls(context=secure.client_tls_context())
        smtp.ehlo()
        assert smtp.has_extn("auth") and mechanism in smtp.esmtp_features["auth"].split()
        smtp.user, smtp.password = LOGIN
        code, _ = smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"))
        assert code == 235
        smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
    assert secure.logins == ["mailer"] and len(secure.messages) == 1


def test_auth_only_after_starttls(secure: SMTPServer) -> None:
    """Before STARTTLS the server offers no AUTH, so smtplib cannot log in."""
    with connect(secure) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls") and not smtp.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            smtp.login(*LOGIN)


def test_auth_required_and_checked(secure: SMTPServer) -> None:
    """A wrong password gets 535, and MAIL without AUTH gets 530."""
    with connect(secure) as smtp:
        smtp.starttls(context=secure.client_tls_context())
        with pytest.raises(smtplib.SMTPAuthenticationError):
            smtp.login("mailer", "wrong")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
        assert refused.value.smtp_code == 530
    assert secure.messages == [] and secure.logins == []


def test_untrusted_certificate_is_refused(secure: SMTPServer) -> None:
    """A client with default trust rejects the self-signed certificate."""
    with connect(secure) as smtp, pytest.raises(ssl.SSLCertVerificationError):
        smtp.starttls(context=ssl.create_default_context())


def test_certificate_is_generated_once() -> None:
    """The self-signed certificate is generated at test time, once per session."""
    cert, key = self_signed_pem()
    assert cert.startswith(b"-----BEGIN CERTIFICATE-----") and b"PRIVATE KEY" in key
    assert self_signed_pem() == (cert, key)


@pytest.mark.parametrize("smtp_server", [{"auth": LOGIN}], indirect=True)
def test_auth_without_tls(smtp_server: SMTPServer) -> None:
    """Without STARTTLS, AUTH is offered on the plain connection (fixture parametrized)."""
    with connect(smtp_server) as smtp:
        smtp.login(*LOGIN)
        smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
    assert smtp_server.logins == ["mailer"]


def test_require_starttls() -> None:
    """With require_starttls, MAIL before STARTTLS is refused with 530."""
    with SMTPServer(starttls=True, require_starttls=True) as server, connect(server) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
        assert refused.value.smtp_code == 530


def test_temporary_rcpt_failures(smtp_server: SMTPServer) -> None:
    """temp_fail("RCPT", 2) answers 451 to the next two RCPTs, then accepts."""
    smtp_server.temp_fail("RCPT", times=2)
    with connect(smtp_server) as smtp:
        for _ in range(2):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
            assert refused.value.recipients["a@example.com"][0] == 451
        smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
    assert len(smtp_server.messages) == 1 and smtp_server.connections == 1


def test_temporary_data_failure(smtp_server: SMTPServer) -> None:
    """temp_fail("DATA", code=452) answers 452 to DATA and records nothing."""
    smtp_server.temp_fail("DATA", code=452, message="4.3.1 Insufficient storage")
    with connect(smtp_server) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
        assert refused.value.smtp_code == 452
    assert smtp_server.messages == []


def test_temporary_mail_failure(smtp_server: SMTPServer) -> None:
    """temp_fail("MAIL") answers 451 to MAIL FROM."""
    smtp_server.temp_fail("MAIL")
    with connect(smtp_server) as smtp, pytest.raises(smtplib.SMTPSenderRefused) as refused:
        smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
    assert refused.value.smtp_code == 451


def test_permanent_recipient_failure(smtp_server: SMTPServer) -> None:
    """reject_recipient() answers 550 for that address (any case), every time."""
    smtp_server.reject_recipient("Gone@Example.com")
    with connect(smtp_server) as smtp:
        for _ in range(2):
            refused = smtp.sendmail(
                "news@example.com", ["a@example.com", "gone@example.COM"], MESSAGE
            )
            assert refused == {"gone@example.COM": (550, b"5.1.1 Mailbox unavailable")}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("news@example.com", ["gone@example.com"], MESSAGE)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.com"]] * 2


@pytest.mark.parametrize(
    ("stage", "after_accept", "recorded"),
    [("RCPT", False, 0), ("DATA", False, 0), ("DATA", True, 1)],
)
def test_dropped_connection(
    smtp_server: SMTPServer, stage: str, after_accept: bool, recorded: int
) -> None:
    """drop() closes the connection unanswered; after_accept records the message first."""
    smtp_server.drop(stage, after_accept=after_accept)  # type: ignore[arg-type]
    with connect(smtp_server) as smtp, pytest.raises(smtplib.SMTPServerDisconnected):
        smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
    assert len(smtp_server.messages) == recorded
    with connect(smtp_server) as smtp:  # the server keeps serving
        smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE)
    assert smtp_server.connections == 2


def test_clear_faults(smtp_server: SMTPServer) -> None:
    """clear_faults() forgets scripted and permanent failures."""
    smtp_server.temp_fail("RCPT", times=5)
    smtp_server.reject_recipient("a@example.com")
    smtp_server.clear_faults()
    with connect(smtp_server) as smtp:
        assert smtp.sendmail("news@example.com", ["a@example.com"], MESSAGE) == {}
