"""Runs that must not send: too few candidates, no approval in time; feeds that fail alone.

These run the flows in this process against the same Prefect API (no serving needed):
the failure hooks run as they do in a served run.
"""

from __future__ import annotations

import datetime as dt
import socket
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.flows.conftest import runs_of_task
from tests.support.workspace import CONFIG, Workspace, make_workspace

pytestmark = pytest.mark.flow


def config(tmp_path: Path, extra: str = "", **values: str) -> Path:
    """The flow tests' newsletter.toml with some values changed, its feed paths made absolute."""
    text = CONFIG.read_text().replace('url = "../../', f'url = "{CONFIG.parents[2]}/')
    for key, value in values.items():
        text = "\n".join(
            f"{key} = {value}" if line.startswith(f"{key} =") else line
            for line in text.splitlines()
        )
    path = tmp_path / "newsletter.toml"
    path.write_text(text + "\n" + extra)
    return path


@pytest.fixture
def space(prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    made = make_workspace(tmp_path)
    for key, value in made.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # the issue's files go to ./out
    return made


def notice(space: Workspace) -> tuple[str, str]:
    message = message_from_bytes(space.notice().read_bytes(), policy=policy.default)
    return str(message["Subject"]), message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_a_week_with_too_few_candidates_fails_and_tells_the_editor(
    space: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsletter_flows.weekly_issue import weekly_issue

    monkeypatch.setenv("NEWSLETTER_CONFIG", str(config(tmp_path, min_candidates="1000")))
    state = weekly_issue(week=dt.date(2024, 11, 25), require_approval=False, return_state=True)
    assert state.is_failed() and "candidate papers" in state.message
    subject, body = notice(space)
    assert (
        subject.startswith("[newsletter] weekly-issue failed: ") and "at least 1000 wanted" in body
    )
    assert "What to do: " in body and not space.mails(1)


def test_no_approval_in_time_sends_nothing_and_says_so(
    space: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsletter_flows.weekly_issue import weekly_issue

    monkeypatch.setenv("NEWSLETTER_CONFIG", str(config(tmp_path, timeout_hours="0.0008")))  # 3 s
    state = weekly_issue(week=dt.date(2024, 11, 25), return_state=True)
    assert state.is_failed()
    subject, body = notice(space)
    assert "no approval within 3 s: issue 1 was not sent" in body, body
    assert not space.mails(1)


def test_one_failing_feed_leaves_the_others_ingested(
    space: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """daily-ingest: each feed its own task; a broken one and a dead one fail alone, are reported,
    and are not retried by the task: the fetcher's retries, within their budget, were the policy."""
    from newsletter_flows.daily_ingest import daily_ingest

    with socket.socket() as probe:  # a port nobody listens on: a dead host
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api/daily_papers"
    extra = (
        '[[feeds]]\nname = "broken"\nkind = "rss"\nurl = "/nonexistent/feed.xml"\n'
        f'[[feeds]]\nname = "dead"\nkind = "hf-daily"\nurl = "{dead}"\n'
    )
    monkeypatch.setenv("NEWSLETTER_CONFIG", str(config(tmp_path, extra=extra)))
    monkeypatch.setenv("NEWSLETTER_HTTP_RETRY_BUDGET", "2")
    state = daily_ingest(days=5, return_state=True)
    assert state.is_completed()
    summary: Any = state.result()
    assert summary.startswith("2 of 4 feeds ingested") and "broken" in summary
    assert "dead (" in summary and "4 later requests not made" in summary
    assert runs_of_task(state.state_details.flow_run_id) == {
        "upgrade-store": 1,
        "ingest hf-daily": 1,
        "ingest arxiv-cs-cl": 1,
        "ingest broken": 1,
        "ingest dead": 1,
    }


def test_a_dry_run_previews_and_sends_nothing(space: Workspace) -> None:
    from newsletter_flows.weekly_issue import weekly_issue

    state = weekly_issue(
        week=dt.date(2024, 11, 25), dry_run=True, test_to=("proof@example.org",), return_state=True
    )
    assert state.is_completed() and state.message == "Dry run: it would go to 3 subscribers."
    assert not space.outbox.exists()


def test_a_run_cancelled_after_it_completed_tells_nobody(space: Workspace) -> None:
    """Stopping serve.py just after a send still calls on_cancellation while the run's process
    exits: a run whose history holds Completed sends no "cancelled" notice."""
    from prefect import get_client
    from prefect.states import Cancelling, Completed, Running

    from newsletter_flows.notify import tell_editors
    from newsletter_flows.weekly_issue import weekly_issue

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(weekly_issue, parameters={})
        for state in (Running(), Completed()):
            client.set_flow_run_state(run.id, state, force=True)
        tell_editors(weekly_issue, client.read_flow_run(run.id), Cancelling())
        assert not space.notice().exists()
        fresh = client.create_flow_run(weekly_issue, parameters={})
        client.set_flow_run_state(fresh.id, Running(), force=True)
        tell_editors(weekly_issue, client.read_flow_run(fresh.id), Cancelling())
    assert notice(space)[0].startswith("[newsletter] weekly-issue cancelled")
