"""The editor's approval: the served run pauses, the dashboard's answer resumes it in place."""

from __future__ import annotations

import datetime as dt
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.flows.conftest import Served, runs_of_task
from tests.support.stores import migrated

pytestmark = pytest.mark.flow

WEEK = dt.date(2024, 12, 2)


def resume(run_id: object, **answer: object) -> None:
    """What the dashboard's Resume form does."""
    from prefect.flow_runs import resume_flow_run

    resume_flow_run(run_id, run_input=answer)  # type: ignore[arg-type]


def paused(state: Any) -> bool:
    return bool(state.is_paused())


def text(path: Path) -> str:
    """The decoded text and HTML of a message (ids could straddle a quoted-printable break)."""
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    return "".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


def test_no_sends_nothing_and_yes_with_a_paper_removed_sends_the_issue_without_it(
    served: Served,
) -> None:
    """Two runs of one week: the second waits while the first is paused (one run at a time);
    "no" ends the first with nothing sent; "yes, minus one paper" sends an issue without it."""
    first = served.run("weekly-issue/weekly-issue", week=WEEK.isoformat())
    served.wait(first, until=paused)
    second = served.run("weekly-issue/weekly-issue", week=WEEK.isoformat())
    time.sleep(3)  # the runner polls every second: it would have started by now if it could
    assert served.wait(second, until=lambda s: True).state.is_scheduled()
    number, picks = _draft(served)
    proof = served.space.outbox / "proofs" / f"issue-{number}" / "editor@example.org.eml"
    assert proof.exists() and not served.space.mails(number)

    resume(first, approve=False)
    ended = served.wait(first)
    assert ended.state.is_cancelled() and "declined" in ended.state.message
    assert not served.space.mails(number)

    served.wait(second, until=paused)
    removed, moved = picks[-1], picks[0]
    resume(second, approve=True, remove=[removed], move=[f"{moved} to LLM Agents"])
    ended = served.wait(second)
    assert ended.state.is_completed(), served.tail()
    assert "model now v" in ended.state.message  # retrained on the issue as it went out
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(WEEK)
        assert issue is not None
        assert [s.name for s, p in issue.record.picks if p.arxiv_id == moved] == ["LLM Agents"]
        edits = {(d.arxiv_id, d.action.value, d.source) for d in store.decisions()}
        assert {(removed, "removed", "approval"), (moved, "moved", "approval")} <= edits
    mails = served.space.mails(number)
    assert len(mails) == 3
    assert all(removed not in text(m) for m in mails)
    assert picks[0] in text(mails[0])
    assert removed not in _draft(served)[1]
    # it carried on where it paused, in the served process: the catch-up ran once, not again;
    # built once, then revised once with the editor's edits
    tasks = runs_of_task(second)
    assert tasks["ingest hf-daily"] == 1
    assert [sum(n.startswith(t) for n in tasks) for t in ("build-issue", "revise-issue")] == [1, 1]


def _draft(served: Served) -> tuple[int, list[str]]:
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(WEEK)
    assert issue is not None
    return issue.number, [p.arxiv_id for _, p in issue.record.picks]


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
