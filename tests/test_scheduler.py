"""The scheduler's REST client reads Prefect 3.8's answers to a resume: ACCEPT, ABORT (not
paused: not yet, or any more) and REJECT (the form not saved yet, or the answer not fitting
it). The real server answers in tests/flows/test_review_page.py; here, its answers' shapes
in turn, over httpx's transport, to pin how each is read."""

from __future__ import annotations

import json

import httpx
import pytest

from newsletter.scheduler import PrefectApi, SchedulerError

RUN = "8a8d6a0e-0000-4000-8000-000000000001"


def prefect(*answers: tuple[str, dict[str, object] | int]) -> tuple[PrefectApi, list[str]]:
    """A client whose server gives these answers, in order, the last one again and again:
    (path ending, body or status)."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        ending, body = answers[min(len(seen), len(answers) - 1)]
        assert request.url.path.endswith(ending), (request.url.path, ending)
        seen.append(f"{request.method} {request.url.path}")
        if request.method == "POST":
            assert json.loads(request.content) == {"run_input": {"approve": True, "version": 3}}
        if isinstance(body, int):
            return httpx.Response(body, text="nope")
        return httpx.Response(200, json=body)

    api = PrefectApi("http://prefect.test/api", settle=1.0, transport=httpx.MockTransport(handle))
    return api, seen


def abort(reason: str) -> dict[str, object]:
    return {"status": "ABORT", "details": {"reason": reason}, "state": None}


def test_an_accepted_answer_resumes() -> None:
    api, seen = prefect(("/resume", {"status": "ACCEPT", "state": {"type": "RUNNING"}}))
    assert api.resume(RUN, {"approve": True, "version": 3}).accepted
    assert seen == [f"POST /api/flow_runs/{RUN}/resume"]


def test_a_run_about_to_pause_is_tried_again_and_one_that_ended_is_gone() -> None:
    api, seen = prefect(
        ("/resume", abort("Cannot resume a flow run that is not paused.")),
        (f"/{RUN}", {"state": {"type": "RUNNING"}}),  # marked waiting, not paused yet
        ("/resume", {"status": "REJECT", "details": {"reason": "Run input schema not found."}}),
        (f"/{RUN}", {"state": {"type": "PAUSED"}}),  # paused, its form not saved yet
        ("/resume", {"status": "ACCEPT"}),
    )
    assert api.resume(RUN, {"approve": True, "version": 3}).accepted and len(seen) == 5
    api, _ = prefect(
        ("/resume", abort("Cannot resume a flow run that is not paused.")),
        (f"/{RUN}", {"state": {"type": "CANCELLED"}}),
    )
    found = api.resume(RUN, {"approve": True, "version": 3})
    assert (found.accepted, found.gone, found.reason) == (False, True, "the run is cancelled")


def test_a_busy_server_is_tried_again_and_errors_say_where_the_scheduler_is() -> None:
    api, seen = prefect(("/resume", 500), ("/resume", {"status": "ACCEPT"}))
    assert api.resume(RUN, {"approve": True, "version": 3}).accepted and len(seen) == 2
    api, _ = prefect(("/resume", 503))  # busy for longer than `settle`
    with pytest.raises(SchedulerError, match="answered 503"):
        api.resume(RUN, {"approve": True, "version": 3})
    api, seen = prefect(("/resume", 422))  # refused: not tried again
    with pytest.raises(SchedulerError, match="answered 422"):
        api.resume(RUN, {"approve": True, "version": 3})
    assert len(seen) == 1
    with pytest.raises(SchedulerError, match="not a flow run id"):
        api.resume("../../admin", {})
    unreachable = PrefectApi("http://127.0.0.1:9/api", timeout=1, settle=0.3)
    with pytest.raises(
        SchedulerError, match="cannot reach the scheduler at http://127.0.0.1:9/api"
    ):
        unreachable.resume(RUN, {"approve": True, "version": 3})
