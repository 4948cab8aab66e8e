"""The editor's approval in the dashboard: the served run pauses, the Resume form's answer
goes on in place under the review page's rules (an empty Submit asks again, a typo refuses
only itself, nothing is backfilled, only `decline` declines)."""

from __future__ import annotations

import datetime as dt
import time
from email import message_from_bytes, policy
from typing import Any

import pytest

from tests.flows.conftest import Served
from tests.support.stores import migrated

pytestmark = pytest.mark.flow

WEEK = dt.date(2024, 11, 18)


def resume(run_id: object, **answer: object) -> None:
    """What the dashboard's Resume form does."""
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(run_id, run_input=answer)  # type: ignore[arg-type]


def paused(state: Any) -> bool:
    return bool(state.is_paused())


def asked_again(served: Served, run_id: object, before: Any) -> Any:
    """The run once it is paused again, after the pause `before`; with its question."""
    flow_run = served.wait(run_id, until=lambda s: s.is_paused() and s.id != before.id)
    return flow_run.state, question(flow_run)


def question(flow_run: Any, timeout: float = 10) -> str:
    """The text above the Resume form: what the editor is asked (a run saves it just after
    it pauses)."""
    import json

    from prefect import get_client
    from prefect.exceptions import PrefectHTTPStatusError

    keyset = flow_run.state.state_details.run_input_keyset
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            try:
                return str(
                    json.loads(client.read_flow_run_input(flow_run.id, keyset["description"]))
                )
            except PrefectHTTPStatusError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def test_the_form_asks_again_keeps_what_reads_and_only_decline_declines(served: Served) -> None:
    """Two runs of one week: the second waits while the first is paused (one run at a time).
    An empty Submit asks again; a removal with a typo beside it applies the removal alone
    (the issue one shorter, nothing backfilled) and says what it refused; `decline` ends the
    run with nothing sent. The second run then keeps the editor's version, unbuilt."""
    first = served.run("weekly-issue/weekly-issue", week=WEEK.isoformat())
    state = served.wait(first, until=paused).state
    second = served.run("weekly-issue/weekly-issue", week=WEEK.isoformat())
    time.sleep(3)  # the runner polls every second: it would have started by now if it could
    assert served.wait(second, until=lambda s: True).state.is_scheduled()
    number, picks, version = _draft(served)
    proof = served.space.outbox / "proofs" / f"issue-{number}" / "editor@example.org.eml"
    assert proof.exists() and not served.space.mails(number)
    blank = {"approve": False, "decline": False, "add": [], "remove": [], "move": []}

    resume(first, **blank, version=version)  # the form's Submit, nothing chosen
    state, asked = asked_again(served, first, state)
    assert "Nothing was chosen: tick approve to send it, or decline to stop it." in asked
    assert _draft(served) == (number, picks, version)

    proofed = proof.stat().st_mtime_ns
    resume(first, **{**blank, "remove": [picks[-1]], "add": ["24.nope"]}, version=version)
    state, asked = asked_again(served, first, state)
    number, after, version = _draft(served)
    assert after == picks[:-1]  # one shorter: nothing filled the gap, nothing else moved
    assert (
        f"Applied: removed {picks[-1]}" in asked
        and "Not applied: 24.nope: not an arXiv id" in asked
    )
    assert f"(version {version})" in asked and proof.stat().st_mtime_ns > proofed  # a new proof

    resume(first, **{**blank, "decline": True}, version=version)
    ended = served.wait(first)
    assert ended.state.is_cancelled() and "declined" in ended.state.message
    assert not served.space.mails(number)

    state = served.wait(second, until=paused).state
    assert _draft(served) == (number, after, version)  # the editor's version, kept as it is
    resume(second, **{**blank, "decline": True}, version=version)
    assert served.wait(second).state.is_cancelled()
    with migrated(served.space.database_url) as store:
        mine = {
            (d.arxiv_id, d.action.value)
            for d in store.decisions()
            if d.source == "approval" and d.week_start == WEEK  # other tests' weeks aside
        }
    assert mine == {(picks[-1], "removed")}


def _draft(served: Served) -> tuple[int, list[str], int]:
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(WEEK)
    assert issue is not None
    return issue.number, [p.arxiv_id for _, p in issue.record.picks], issue.version


def test_cancelling_a_paused_run_sends_nothing_and_tells_the_editors(served: Served) -> None:
    """The dashboard's Cancel on a run waiting for approval: it ends Cancelled, no subscriber
    gets the issue, and the editors learn it by email with what to do."""
    from prefect import get_client
    from prefect.states import Cancelling

    week = dt.date(2024, 12, 9)
    run = served.run("weekly-issue/weekly-issue", week=week.isoformat())
    served.wait(run, until=paused)
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run, Cancelling())
    assert served.wait(run).state.is_cancelled(), served.tail()
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(week)
    assert issue is not None and not served.space.mails(issue.number)
    message = message_from_bytes(served.space.notice().read_bytes(), policy=policy.default)
    body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert str(message["Subject"]).startswith("[newsletter] weekly-issue cancelled")
    assert "What to do: start the run again when ready" in body and str(run) in body, body
    with migrated(served.space.database_url) as store:  # it ended: nothing waits for it
        assert store.issue_for_week(week).waiting_run is None  # type: ignore[union-attr]
