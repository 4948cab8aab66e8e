"""SendGrid's documented Mail Send limits, as the test server enforces them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.sendgrid_helpers import T0, Clock, client, mail, refused
from tests.support.sendgrid_server import SendGridServer

Body = dict[str, Any]


@pytest.fixture
def server() -> Iterator[SendGridServer]:
    with SendGridServer(now=Clock()) as server:
        yield server


def many(count: int) -> Body:
    return mail(*(f"r{i}@example.com" for i in range(count)))


def one_with(**personalization: Any) -> Body:
    body = mail("a@example.com")
    body["personalizations"][0].update(personalization)
    return body


def crowded(to: int, cc: int) -> Body:
    """One personalization with `to` + `cc` recipients."""
    return one_with(
        to=[{"email": f"to{i}@example.com"} for i in range(to)],
        cc=[{"email": f"cc{i}@example.com"} for i in range(cc)],
    )


def args_of(size: int) -> dict[str, str]:
    """custom_args whose compact JSON is `size` bytes ({"k":"..."} is 8 bytes + value)."""
    return {"k": "x" * (size - 8)}


def no_subject() -> Body:
    body = many(2)
    del body["subject"]
    body["personalizations"][0]["subject"] = "only the first"
    return body


TOO_MUCH: list[tuple[str, Callable[[], Body], str]] = [
    ("1001 personalizations", lambda: many(1001), "personalizations"),
    ("no personalization", lambda: many(0), "personalizations"),
    ("1001 recipients", lambda: crowded(500, 501), "personalizations"),
    (
        "duplicate across personalizations",
        lambda: mail("a@example.com", "A@Example.COM"),
        "personalizations.1.to",
    ),
    (
        "duplicate to/bcc",
        lambda: one_with(bcc=[{"email": "A@example.com"}]),
        "personalizations.0.bcc",
    ),
    (
        "custom_args of 10,000 bytes",
        lambda: one_with(custom_args=args_of(10_000)),
        "personalizations.0.custom_args",
    ),
    (
        "top-level custom_args of 10,000 bytes",
        lambda: mail("a@x.org", custom_args=args_of(10_000)),
        "custom_args",
    ),
    (
        "substitutions of 10,001 bytes",
        lambda: one_with(substitutions=args_of(10_001)),
        "personalizations.0.substitutions",
    ),
    (
        "11 categories",
        lambda: mail("a@example.com", categories=[f"c{i}" for i in range(11)]),
        "categories",
    ),
    (
        "send_at beyond 72 h",
        lambda: mail("a@example.com", send_at=int(T0) + 72 * 3600 + 1),
        "send_at",
    ),
    ("send_at in the past", lambda: mail("a@example.com", send_at=int(T0) - 301), "send_at"),
    (
        "personalization send_at",
        lambda: one_with(send_at=int(T0) + 80 * 3600),
        "personalizations.0.send_at",
    ),
    ("unknown batch_id", lambda: mail("a@example.com", batch_id="NotIssued1"), "batch_id"),
    (
        "no content",
        lambda: {k: v for k, v in mail("a@example.com").items() if k != "content"},
        "content",
    ),
    ("no subject for some", no_subject, "subject"),
]

WITHIN: list[tuple[str, Callable[[], Body]]] = [
    ("1000 personalizations", lambda: many(1000)),
    ("1000 recipients", lambda: crowded(500, 500)),
    ("custom_args of 9,999 bytes", lambda: one_with(custom_args=args_of(9_999))),
    ("substitutions of 10,000 bytes", lambda: one_with(substitutions=args_of(10_000))),
    ("10 categories", lambda: mail("a@example.com", categories=[f"c{i}" for i in range(10)])),
    ("send_at exactly 72 h ahead", lambda: mail("a@example.com", send_at=int(T0) + 72 * 3600)),
    ("send_at 5 minutes ago", lambda: mail("a@example.com", send_at=int(T0) - 300)),
    (
        "template without content or subject",
        lambda: {
            "personalizations": [{"to": [{"email": "a@x.org"}]}],
            "from": {"email": "n@x.org"},
            "template_id": "d-1",
        },
    ),
]


@pytest.mark.parametrize(("case", "build", "field"), TOO_MUCH, ids=[c[0] for c in TOO_MUCH])
def test_limit_rejected(
    server: SendGridServer, case: str, build: Callable[[], Body], field: str
) -> None:
    """A body over a documented limit gets a SendGrid-style 400 naming the field."""
    error = refused(server, build())
    assert error.status_code == 400
    errors = json.loads(error.body)["errors"]
    assert errors[0]["field"] == field, errors
    assert set(errors[0]) == {"message", "field", "help"} and errors[0]["message"]
    assert server.accepted == []


@pytest.mark.parametrize(("case", "build"), WITHIN, ids=[c[0] for c in WITHIN])
def test_within_limits_accepted(
    server: SendGridServer, case: str, build: Callable[[], Body]
) -> None:
    """A body right at a documented limit is accepted."""
    assert client(server).send(build()).status_code == 202


def test_duplicate_message_names_the_address(server: SendGridServer) -> None:
    """The duplicate-address error quotes the address, as SendGrid's does."""
    error = refused(server, mail("a@example.com", "A@example.com"))
    assert "[A@example.com]" in json.loads(error.body)["errors"][0]["message"]


def test_body_of_30_mb_is_413(server: SendGridServer) -> None:
    """A request of 30 MB or more is refused with 413 (the spec's code for it), not recorded."""
    attachment = {"content": "QUFB" * 7_500_000, "filename": "big.bin"}
    error = refused(server, mail("a@example.com", attachments=[attachment]))
    assert error.status_code == 413
    assert json.loads(error.body)["errors"][0]["message"] == "content too large"
    assert server.accepted == []
    assert client(server).send(mail("a@example.com")).status_code == 202  # connection reusable
