"""Runs that must not send: too few candidates, no approval in time; feeds that fail alone.

These run the flows in this process against the same Prefect API (no serving needed):
the failure hooks run as they do in a served run.
"""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from tests.flows.conftest import CONFIG, Workspace, make_workspace, runs_of_task

pytestmark = pytest.mark.flow


def config(tmp_path: Path, extra: str = "", **values: str) -> Path:
    """The flow tests' newsletter.toml with some values changed, its feed paths made absolute."""
    text = CONFIG.read_text().replace('url = "../../', f'url = "{CONFIG.parents[2]}/')
    for key, value in values.items():
        text = "\n".join(f"{key} = {value}" if line.startswith(f"{key} =") else line for line in text.splitlines())
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


def test_a_week_with_too_few_candidates_fails_and_tells_the_editor(space: Workspace, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.weekly_issue import weekly_issue

    monkeypatch.setenv("NEWSLETTER_CONFIG", str(config(tmp_path, min_candidates="1000")))
    state = weekly_issue(week=dt.date(2024, 11, 25), require_approval=False, return_state=True)
    assert state.is_failed() and "candidate papers" in state.message
    subject, body = notice(space)
    assert subject.startswith("[newsletter] weekly-issue failed: ") and "at least 1000 wanted" in body
    assert "What to do: " in body and not space.mails(1)


def test_no_approval_in_time_sends_nothing_and_says_so(space: Workspace, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.weekly_issue import weekly_issue

    monkeypatch.setenv("NEWSLETTER_CONFIG", str(config(tmp_path, timeout_hours="0.0008")))  # 3 s
    state = weekly_issue(week=dt.date(2024, 11, 25), return_state=True)
    assert state.is_failed()
    subject, body = notice(space)
    assert "no approval within 3 s: issue 1 was not sent" in body, body
    assert not space.mails(1)


def test_one_failing_feed_leaves_the_others_ingested(space: Workspace, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """daily-ingest: each feed its own task; the broken one is retried, fails alone, is reported."""
    import flows.tasks
    from flows.daily_ingest import daily_ingest

    broken = '[[feeds]]\nname = "broken"\nkind = "rss"\nurl = "/nonexistent/feed.xml"\n'
    monkeypatch.setenv("NEWSLETTER_CONFIG", str(config(tmp_path, extra=broken)))
    quick = flows.tasks.ingest_feed.with_options(retries=1, retry_delay_seconds=0)
    monkeypatch.setattr(flows.tasks, "ingest_feed", quick)
    state = daily_ingest(days=2, return_state=True)
    assert state.is_completed()
    summary: Any = state.result()
    assert summary.startswith("2 of 3 feeds ingested") and "broken" in summary
    assert runs_of_task(state.state_details.flow_run_id) == {"ingest hf-daily": 1, "ingest arxiv-cs-cl": 1,
                                                            "ingest broken": 2}  # tried again once


def test_a_dry_run_previews_and_sends_nothing(space: Workspace) -> None:
    from flows.weekly_issue import weekly_issue

    state = weekly_issue(week=dt.date(2024, 11, 25), dry_run=True, test_to=("proof@example.org",), return_state=True)
    assert state.is_completed() and state.message == "Dry run: it would go to 3 subscribers."
    assert not space.outbox.exists()
