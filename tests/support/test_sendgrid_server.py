"""The SendGrid test server, driven by the official `sendgrid` client and raw HTTP."""

from __future__ import annotations

import gzip
import http.client
import json
from typing import Any
from urllib.error import URLError

import pytest
import sendgrid
from python_http_client.exceptions import HTTPError

from tests.support.sendgrid_helpers import T0, Clock, client, mail, raw, refused
from tests.support.sendgrid_schema import MailValidator
from tests.support.sendgrid_server import API_KEY, FORBIDDEN_KEY, SendGridServer


def test_official_client_sends_through_the_server(sendgrid_server: SendGridServer) -> None:
    """The sendgrid client, pointed at the server with host=, gets 202 and an X-Message-Id."""
    response = client(sendgrid_server).send(mail("Alex@Example.com", "bola@example.com"))
    assert (response.status_code, response.body) == (202, b"")
    [record] = sendgrid_server.accepted
    assert response.headers["X-Message-Id"] == record.message_id
    assert record.body == mail("Alex@Example.com", "bola@example.com")
    assert sendgrid_server.delivered() == [
        ("alex@example.com", {}, None),
        ("bola@example.com", {}, None),
    ]
    assert sendgrid_server.requests == {"/v3/mail/send": 1}


def test_message_ids_are_unique(sendgrid_server: SendGridServer) -> None:
    """Every accepted request gets its own X-Message-Id."""
    sg = client(sendgrid_server)
    ids = {sg.send(mail(f"r{i}@example.com")).headers["X-Message-Id"] for i in range(20)}
    assert len(ids) == 20


def test_mail_helper_body_is_accepted(sendgrid_server: SendGridServer) -> None:
    """A body built with sendgrid's Mail helper (top-level custom_args object) is valid."""
    message = sendgrid.Mail("news@example.com", "alex@example.com", "Hi", html_content="<p>x</p>")
    message.custom_arg = sendgrid.CustomArg("issue", "2026-w34")
    assert client(sendgrid_server).send(message).status_code == 202
    assert sendgrid_server.delivered() == [("alex@example.com", {"issue": "2026-w34"}, None)]


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "authorization required"),
        ({"Authorization": "Bearer SG.wrong"}, 401, "authorization required"),
        ({"Authorization": f"Basic {API_KEY}"}, 401, "authorization required"),
        ({"Authorization": f"Bearer {FORBIDDEN_KEY}"}, 403, "access forbidden"),
    ],
)
def test_auth(
    sendgrid_server: SendGridServer, headers: dict[str, str], status: int, message: str
) -> None:
    """A missing or wrong key gets 401, the forbidden key 403, in SendGrid's error shape."""
    body = json.dumps(mail("a@example.com")).encode()
    got, _, payload = raw(sendgrid_server, "POST", "/v3/mail/send", body, headers)
    assert got == status
    assert json.loads(payload) == {"errors": [{"message": message, "field": None, "help": None}]}
    assert sendgrid_server.accepted == []


def test_official_client_sees_401(sendgrid_server: SendGridServer) -> None:
    """The client raises UnauthorizedError for a wrong key."""
    with pytest.raises(HTTPError) as caught:
        client(sendgrid_server, "SG.nope").send(mail("a@example.com"))
    assert caught.value.status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": {"name": "no address"}}, "from"),
        ({"subject": ""}, "subject"),
        ({"ip_pool_name": "x"}, "ip_pool_name"),
        ({"asm": {"groups_to_display": [1]}}, "asm"),
        (
            {"personalizations": [{"to": [{"email": "a@example.com"}], "send_at": "soon"}]},
            "personalizations.0.send_at",
        ),
    ],
)
def test_schema_violations_are_400(
    sendgrid_server: SendGridServer, change: dict[str, Any], field: str
) -> None:
    """A body that breaks the OpenAPI request schema gets a 400 naming the field."""
    error = refused(sendgrid_server, {**mail("a@example.com"), **change})
    assert error.status_code == 400
    assert field in [e["field"] for e in json.loads(error.body)["errors"]]
    assert sendgrid_server.accepted == []


def test_invalid_json_is_400(sendgrid_server: SendGridServer) -> None:
    """A body that is not JSON gets a SendGrid-style 400."""
    auth = {"Authorization": f"Bearer {API_KEY}"}
    status, _, body = raw(sendgrid_server, "POST", "/v3/mail/send", b"{nope", auth)
    assert status == 400 and json.loads(body)["errors"][0]["message"].startswith("Invalid JSON")


def test_sample_validation_checks_only_a_sample() -> None:
    """validate="sample" checks the first and last personalizations, full checks all."""
    body = mail(*(f"r{i}@example.com" for i in range(50)))
    body["personalizations"][25]["subject"] = ""  # schema: minLength 1
    assert MailValidator("sample", sample_size=2).errors(body) == []
    assert MailValidator("full").errors(body)[0]["field"] == "personalizations.25.subject"
    body["personalizations"][49]["subject"] = ""
    assert (
        MailValidator("sample", sample_size=2).errors(body)[0]["field"]
        == "personalizations.49.subject"
    )


def test_sample_indices() -> None:
    """The sample holds sample_size distinct indices, always the first and the last."""
    indices = MailValidator("sample", sample_size=8, seed=1).sample_indices(1000)
    assert len(set(indices)) == 8 and indices[0] == 0 and indices[-1] == 999
    assert MailValidator("sample", sample_size=8).sample_indices(3) == [0, 1, 2]


def test_sample_mode_still_checks_every_recipient() -> None:
    """In sample mode a malformed recipient outside the sample is still rejected."""
    with SendGridServer(validate="sample", sample_size=2) as server:
        body = mail(*(f"r{i}@example.com" for i in range(50)))
        body["personalizations"][25]["to"] = [{"name": "no email"}]
        error = refused(server, body)
        assert error.status_code == 400
        assert json.loads(error.body)["errors"][0]["field"] == "personalizations.25.to"


def test_keep_bodies_false_keeps_recipients_only() -> None:
    """keep_bodies=False drops bodies but keeps (address, effective custom_args) per recipient."""
    with SendGridServer(keep_bodies=False) as server:
        body = mail("a@example.com", custom_args={"issue": "w34", "kind": "weekly"})
        body["personalizations"][0]["custom_args"] = {"kind": "test", "sub": "7"}
        body["personalizations"][0]["cc"] = [{"email": "B@example.com"}]
        client(server).send(body)
        [record] = server.accepted
        assert record.body is None and record.recipient_count == 2
        args = {"issue": "w34", "kind": "test", "sub": "7"}
        assert server.delivered() == [("a@example.com", args, None), ("b@example.com", args, None)]


def test_sandbox_mode_is_200_and_not_recorded(sendgrid_server: SendGridServer) -> None:
    """mail_settings.sandbox_mode.enable validates, answers 200 and records nothing."""
    body = mail("a@example.com", mail_settings={"sandbox_mode": {"enable": True}})
    assert client(sendgrid_server).send(body).status_code == 200
    assert sendgrid_server.accepted == []


def test_gzip_body(sendgrid_server: SendGridServer) -> None:
    """A body sent with Content-Encoding: gzip is accepted."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Encoding": "gzip"}
    body = gzip.compress(json.dumps(mail("a@example.com")).encode())
    status, reply_headers, _ = raw(sendgrid_server, "POST", "/v3/mail/send", body, headers)
    assert status == 202 and reply_headers["X-Message-Id"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v3/mail/send", 405), ("POST", "/v3/nope", 404), ("PUT", "/v3/mail/batch", 405)],
)
def test_unknown_routes(
    sendgrid_server: SendGridServer, method: str, path: str, status: int
) -> None:
    """An unknown path gets 404, a wrong method 405, both in SendGrid's error shape."""
    auth = {"Authorization": f"Bearer {API_KEY}"}
    got, _, body = raw(sendgrid_server, method, path, b"", auth)
    assert got == status and json.loads(body)["errors"][0]["field"] is None


# -- fault injection ----------------------------------------------------------------------


def test_rate_limit_with_headers(sendgrid_server: SendGridServer) -> None:
    """rate_limit() answers 429 with Retry-After and X-RateLimit-Reset, then recovers."""
    sendgrid_server.now = Clock()
    sendgrid_server.rate_limit(retry_after=3, reset_in=60)
    error = refused(sendgrid_server, mail("a@example.com"))
    assert error.status_code == 429
    assert error.headers["Retry-After"] == "3"
    assert error.headers["X-RateLimit-Reset"] == str(int(T0 + 60))
    assert json.loads(error.body)["errors"][0]["message"] == "too many requests"
    assert client(sendgrid_server).send(mail("a@example.com")).status_code == 202
    assert sendgrid_server.requests["/v3/mail/send"] == 2
    assert len(sendgrid_server.accepted) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(sendgrid_server: SendGridServer, status: int) -> None:
    """fail(status, times) answers that status for the next N requests, unprocessed."""
    sendgrid_server.fail(status, times=2)
    for _ in range(2):
        assert refused(sendgrid_server, mail("a@example.com")).status_code == status
    assert sendgrid_server.accepted == []
    assert client(sendgrid_server).send(mail("a@example.com")).status_code == 202


def test_reject_injects_a_400(sendgrid_server: SendGridServer) -> None:
    """reject() answers a SendGrid-style 400 with the given message and field."""
    sendgrid_server.reject("The from email does not match a verified Sender Identity.", "from")
    error = refused(sendgrid_server, mail("a@example.com"))
    assert error.status_code == 400
    assert json.loads(error.body)["errors"] == [
        {
            "message": "The from email does not match a verified Sender Identity.",
            "field": "from",
            "help": None,
        }
    ]


def test_faults_are_per_path_and_fifo(sendgrid_server: SendGridServer) -> None:
    """Faults apply to their path only, in the order they were scripted."""
    sendgrid_server.fail(503, path="/v3/mail/batch")
    sendgrid_server.fail(500)
    sendgrid_server.rate_limit()
    assert sendgrid_server.faults.pending() == 3
    assert refused(sendgrid_server, mail("a@example.com")).status_code == 500
    assert refused(sendgrid_server, mail("a@example.com")).status_code == 429
    assert client(sendgrid_server).send(mail("a@example.com")).status_code == 202
    assert sendgrid_server.faults.pending() == 1


def test_accept_then_drop(sendgrid_server: SendGridServer) -> None:
    """drop_after_accept(): the client sees a connection error, yet the mail was accepted."""
    sendgrid_server.drop_after_accept()
    with pytest.raises(http.client.RemoteDisconnected):  # a ConnectionResetError
        client(sendgrid_server).send(mail("a@example.com"))
    assert [r for r, _, _ in sendgrid_server.delivered()] == ["a@example.com"]
    assert client(sendgrid_server).send(mail("b@example.com")).status_code == 202


def test_slow_response_times_out_after_accepting(sendgrid_server: SendGridServer) -> None:
    """slow(): the request is processed, then the answer comes too late for the client."""
    sendgrid_server.slow(0.5)
    sg = client(sendgrid_server)
    with pytest.raises((TimeoutError, URLError)):
        sg.client.mail.send.post(request_body=mail("a@example.com"), timeout=0.1)
    assert len(sendgrid_server.accepted) == 1
