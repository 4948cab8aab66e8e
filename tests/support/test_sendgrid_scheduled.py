"""Mail batches, scheduled sends (pause/cancel/resume) and delivered() on the SendGrid test server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from python_http_client.exceptions import HTTPError

from tests.support.sendgrid_helpers import T0, Clock, client, mail
from tests.support.sendgrid_server import SendGridServer

SEND_AT = int(T0) + 3600


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[SendGridServer]:
    with SendGridServer(now=clock) as server:
        yield server


@pytest.fixture
def sg(server: SendGridServer) -> Any:
    """The official client's generic API (`sg.client.user.scheduled_sends.post(...)`)."""
    return client(server).client


def new_batch(sg: Any) -> str:
    response = sg.mail.batch.post()
    assert response.status_code == 201
    batch_id: str = json.loads(response.body)["batch_id"]
    return batch_id


def schedule(
    server: SendGridServer, batch_id: str, *to: str, send_at: int | None = SEND_AT
) -> None:
    extra: dict[str, Any] = {"batch_id": batch_id}
    if send_at is not None:
        extra["send_at"] = send_at
    assert client(server).send(mail(*to, **extra)).status_code == 202


def set_status(sg: Any, batch_id: str, status: str) -> Any:
    return sg.user.scheduled_sends.post(request_body={"batch_id": batch_id, "status": status})


def error_of(call: Any, *args: Any, **kwargs: Any) -> HTTPError:
    with pytest.raises(HTTPError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_batch_create_and_validate(sg: Any) -> None:
    """POST /v3/mail/batch issues an ID (201) that GET validates (200); unknown ones get 400."""
    batch_id = new_batch(sg)
    response = sg.mail.batch._(batch_id).get()
    assert (response.status_code, json.loads(response.body)) == (200, {"batch_id": batch_id})
    error = error_of(sg.mail.batch._("NotIssued").get)
    assert error.status_code == 400
    assert json.loads(error.body)["errors"][0]["message"] == "invalid batch id"


def test_batch_ids_are_distinct(sg: Any) -> None:
    """Each POST /v3/mail/batch issues a new ID."""
    assert len({new_batch(sg) for _ in range(5)}) == 5


def test_cancel_excludes_batch_from_delivered(server: SendGridServer, sg: Any) -> None:
    """A cancelled batch's mail is accepted but not delivered; other mail is."""
    batch_id = new_batch(sg)
    schedule(server, batch_id, "a@example.com", "b@example.com")
    assert client(server).send(mail("c@example.com")).status_code == 202
    response = set_status(sg, batch_id, "cancel")
    assert response.status_code == 201
    assert json.loads(response.body) == {"batch_id": batch_id, "status": "cancel"}
    assert len(server.accepted) == 2
    assert server.delivered() == [("c@example.com", {}, None)]


def test_list_get_and_resume(server: SendGridServer, sg: Any) -> None:
    """GET lists statuses, DELETE resumes the batch (204) and its mail is delivered again."""
    paused, cancelled = new_batch(sg), new_batch(sg)
    schedule(server, cancelled, "a@example.com")
    set_status(sg, paused, "pause")
    set_status(sg, cancelled, "cancel")
    listed = json.loads(sg.user.scheduled_sends.get().body)
    assert sorted(listed, key=lambda s: s["status"]) == [
        {"batch_id": cancelled, "status": "cancel"},
        {"batch_id": paused, "status": "pause"},
    ]
    one = sg.user.scheduled_sends._(cancelled).get()
    assert json.loads(one.body) == [{"batch_id": cancelled, "status": "cancel"}]
    assert sg.user.scheduled_sends._(cancelled).delete().status_code == 204
    assert json.loads(sg.user.scheduled_sends._(cancelled).get().body) == []
    assert server.delivered() == [("a@example.com", {}, cancelled)]


def test_paused_mail_counts_as_delivered(server: SendGridServer, sg: Any) -> None:
    """Only cancellation removes mail from delivered(): a pause does not."""
    batch_id = new_batch(sg)
    schedule(server, batch_id, "a@example.com")
    set_status(sg, batch_id, "pause")
    assert [a for a, _, _ in server.delivered()] == ["a@example.com"]


def test_patch_pause_to_cancel(server: SendGridServer, sg: Any) -> None:
    """PATCH changes an existing status (204)."""
    batch_id = new_batch(sg)
    schedule(server, batch_id, "a@example.com")
    set_status(sg, batch_id, "pause")
    response = sg.user.scheduled_sends._(batch_id).patch(request_body={"status": "cancel"})
    assert response.status_code == 204
    assert server.delivered() == []


def test_too_late_to_cancel(server: SendGridServer, sg: Any, clock: Clock) -> None:
    """Cancelling less than 10 minutes before send_at is refused with a 400; pausing is not."""
    batch_id = new_batch(sg)
    schedule(server, batch_id, "a@example.com")
    clock.t = SEND_AT - 599
    error = error_of(set_status, sg, batch_id, "cancel")
    assert error.status_code == 400
    assert "10 minutes" in json.loads(error.body)["errors"][0]["message"]
    assert set_status(sg, batch_id, "pause").status_code == 201
    patch = sg.user.scheduled_sends._(batch_id).patch
    assert error_of(patch, request_body={"status": "cancel"}).status_code == 400
    assert [a for a, _, _ in server.delivered()] == ["a@example.com"]


def test_cancel_just_in_time(server: SendGridServer, sg: Any, clock: Clock) -> None:
    """Cancelling exactly 10 minutes before the earliest send_at of the batch is allowed."""
    batch_id = new_batch(sg)
    schedule(server, batch_id, "a@example.com", send_at=SEND_AT + 600)
    schedule(server, batch_id, "b@example.com")
    clock.t = SEND_AT - 600
    assert set_status(sg, batch_id, "cancel").status_code == 201


def test_immediate_mail_cannot_be_cancelled(server: SendGridServer, sg: Any) -> None:
    """Mail sent in a batch without send_at goes out at once: cancelling it is refused."""
    batch_id = new_batch(sg)
    schedule(server, batch_id, "a@example.com", send_at=None)
    assert error_of(set_status, sg, batch_id, "cancel").status_code == 400


def test_cancel_before_sending(server: SendGridServer, sg: Any) -> None:
    """A batch cancelled before any mail: later mail in it is accepted, not delivered."""
    batch_id = new_batch(sg)
    set_status(sg, batch_id, "cancel")
    schedule(server, batch_id, "a@example.com")
    assert len(server.accepted) == 1 and server.delivered() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"batch_id": "NotIssued1", "status": "cancel"}, 400),
        ({"status": "cancel"}, 400),
        ({"batch_id": "{batch}", "status": "stop"}, 400),
        ({"batch_id": "{batch}", "status": "pause"}, 400),  # already has a status
    ],
)
def test_scheduled_send_errors(sg: Any, body: dict[str, str], status: int) -> None:
    """Unknown batches, bodies against the spec and a second status are refused."""
    batch_id = new_batch(sg)
    set_status(sg, batch_id, "cancel")
    request = {k: v.replace("{batch}", batch_id) for k, v in body.items()}
    error = error_of(sg.user.scheduled_sends.post, request_body=request)
    assert error.status_code == status and json.loads(error.body)["errors"]


def test_status_endpoints_without_status(sg: Any) -> None:
    """PATCH and DELETE of a batch without status, and GET of an unknown batch, get 404."""
    batch_id = new_batch(sg)
    scheduled = sg.user.scheduled_sends
    assert (
        error_of(scheduled._(batch_id).patch, request_body={"status": "pause"}).status_code == 404
    )
    assert error_of(scheduled._(batch_id).delete).status_code == 404
    assert error_of(scheduled._("NotIssued").get).status_code == 404


def test_batch_records(server: SendGridServer, sg: Any) -> None:
    """server.batch() reports the status, message count and earliest send time of a batch."""
    batch_id = server.new_batch_id()
    schedule(server, batch_id, "a@example.com")
    schedule(server, batch_id, "b@example.com", send_at=SEND_AT - 60)
    batch = server.batch(batch_id)
    assert batch is not None
    assert (batch.messages, batch.earliest_send_at, batch.status) == (2, SEND_AT - 60, None)
    assert [r.send_at for r in server.accepted] == [SEND_AT, SEND_AT - 60]
