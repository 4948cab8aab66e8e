"""Sending through SMTP: a real aiosmtpd server on 127.0.0.1, STARTTLS, reused connections."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from newsletter.delivery.backends.smtp import SMTPBackend, SMTPTarget
from newsletter.delivery.send import send_issue
from newsletter.errors import ConfigError, SendError
from newsletter.store import Store
from tests.support.deliveries import add_issue, add_people, token
from tests.support.smtp_server import SMTPServer, self_signed_pem


@pytest.fixture
def cafile(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_bytes(self_signed_pem()[0])
    return path


def backend_for(server: SMTPServer, cafile: Path, *, auth: str = "editor:s3cret") -> SMTPBackend:
    url = f"smtp://{auth}@{server.host}:{server.port}?cafile={cafile}"
    return SMTPBackend(SMTPTarget.parse(url), timeout=5, sleep=lambda s: None)


def anonymous(server: SMTPServer, cafile: Path) -> SMTPBackend:
    url = f"smtp://{server.host}:{server.port}?cafile={cafile}"
    return SMTPBackend(SMTPTarget.parse(url), timeout=5, sleep=lambda s: None)


@pytest.mark.parametrize(
    "smtp_server",
    [{"auth": ("editor", "s3cret"), "starttls": True, "require_starttls": True}],
    indirect=True,
)
def test_starttls_login_and_one_connection_for_everyone(
    any_store: Store, smtp_server: SMTPServer, cafile: Path
) -> None:
    """Every active reader gets one MIME message over a single STARTTLS connection."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 12)
    sending = backend_for(smtp_server, cafile)
    report = send_issue(any_store, envelope, sending, token)
    sending.close()
    assert (report.sent, report.failed) == (12, 0)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(emails)
    assert smtp_server.connections == 1 and smtp_server.logins == ["editor"]
    msg = email.message_from_bytes(smtp_server.messages[0].data, policy=email.policy.default)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"].startswith("<mailto:editor@news.example?subject=unsubscribe%20")
    assert b"\r\n" in smtp_server.messages[0].data
    assert msg["Message-ID"] == "<issue-1.sub-1@news.example>"
    assert msg.get_body(("html",)) is not None and msg.get_body(("plain",)) is not None


@pytest.mark.parametrize("smtp_server", [{"starttls": True}], indirect=True)
def test_a_temporary_failure_is_retried_a_permanent_one_fails_that_reader(
    any_store: Store, smtp_server: SMTPServer, cafile: Path
) -> None:
    """451 is retried and succeeds; 550 marks that delivery failed and the send goes on."""
    envelope = add_issue(any_store)
    add_people(any_store, 5)
    smtp_server.temp_fail("RCPT", times=2)
    smtp_server.reject_recipient("reader3@example.org")
    report = send_issue(any_store, envelope, anonymous(smtp_server, cafile), token)
    assert (report.sent, report.failed) == (4, 1)
    with any_store.engine.connect() as conn:
        error = conn.exec_driver_sql(
            "SELECT error FROM deliveries WHERE status = 'failed'"
        ).scalar_one()
    assert error.startswith("550 ")
    assert len(smtp_server.messages) == 4


@pytest.mark.parametrize("smtp_server", [{"starttls": True}], indirect=True)
def test_a_dropped_connection_reconnects(
    any_store: Store, smtp_server: SMTPServer, cafile: Path
) -> None:
    """The server hangs up at DATA; the backend reconnects and everyone gets the issue."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 4)
    smtp_server.drop("DATA", times=1)
    report = send_issue(any_store, envelope, anonymous(smtp_server, cafile), token)
    assert report.sent == 4
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(emails)


@pytest.mark.parametrize(
    "smtp_server", [{"auth": ("editor", "s3cret"), "starttls": True}], indirect=True
)
def test_a_wrong_password_stops_with_a_clear_message(
    any_store: Store, smtp_server: SMTPServer, cafile: Path
) -> None:
    """Authentication failure stops the send; nobody is marked sent or failed."""
    envelope = add_issue(any_store)
    add_people(any_store, 3)
    with pytest.raises(SendError, match="SMTP login refused") as caught:
        send_issue(
            any_store, envelope, backend_for(smtp_server, cafile, auth="editor:wrong"), token
        )
    assert "SMTP_URL" in caught.value.hint
    assert any_store.delivery_counts(1) == {"queued": 3}


def test_smtp_urls() -> None:
    """smtp:// means STARTTLS on 587, smtps:// TLS on 465; anything else is a config error."""
    plain = SMTPTarget.parse("smtp://a%40b.c:p%2Fw@mail.example.org")
    assert (plain.port, plain.starttls, plain.implicit_tls, plain.username, plain.password) == (
        587,
        True,
        False,
        "a@b.c",
        "p/w",
    )
    assert SMTPTarget.parse("smtps://mail.example.org").port == 465
    assert SMTPTarget.parse("smtp://relay:25?tls=none").starttls is False
    with pytest.raises(ConfigError):
        SMTPTarget.parse("http://mail.example.org")


@pytest.mark.parametrize("smtp_server", [{"starttls": True}], indirect=True)
def test_a_pool_of_connections_one_per_message_in_flight(
    any_store: Store, smtp_server: SMTPServer, cafile: Path
) -> None:
    """4 in flight: up to 4 connections, each reused; two dropped ones are opened again and
    their messages sent once, every reader once."""
    envelope = add_issue(any_store)
    emails = add_people(any_store, 120)
    smtp_server.drop("DATA", times=2)
    url = f"smtp://{smtp_server.host}:{smtp_server.port}?cafile={cafile}"
    pooled = SMTPBackend(SMTPTarget.parse(url), timeout=5, concurrency=4, sleep=lambda s: None)
    pooled.batch_size = 10  # twelve batches, so that four go at once
    report = send_issue(any_store, envelope, pooled, token)
    pooled.close()
    assert (report.sent, report.failed, report.concurrency) == (120, 0, 4)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(emails)
    assert 2 <= smtp_server.connections <= 4 + 2  # the pool, plus one new one per drop
