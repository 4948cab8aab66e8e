"""Secrets for flow runs: the SendGrid key from the environment, or from a Prefect Secret block."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.workspace import READERS, make_workspace

pytestmark = pytest.mark.flow


def test_the_sendgrid_key_can_come_from_a_secret_block(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.blocks.system import Secret

    from newsletter_flows.settings import SECRET_BLOCK_ENV, settings

    Secret(value="SG.from-the-block").save("newsletter-sendgrid-test", overwrite=True)
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("SENDGRID_API_KEY", "")
    monkeypatch.setenv(SECRET_BLOCK_ENV, "newsletter-sendgrid-test")
    found = settings()
    assert found.sendgrid_api_key is not None
    assert found.sendgrid_api_key.get_secret_value() == "SG.from-the-block"
    assert "SG.from" not in repr(found) and "SG.from" not in str(found.model_dump())
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.from-the-environment")  # the environment wins
    assert settings().sendgrid_api_key.get_secret_value() == "SG.from-the-environment"  # type: ignore[union-attr]


def test_a_sendgrid_run_keeps_its_secrets_out_of_parameters_artifacts_and_logs(
    prefect_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sendgrid_server: SendGridServer,
) -> None:
    """A whole weekly run through SendGrid (the test server): the key and the link secret
    appear nowhere the dashboard shows, though every mail went out with them."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.logging.handlers import APILogHandler

    from newsletter_flows.weekly_issue import weekly_issue

    space = make_workspace(tmp_path)
    link_secret = "a-link-secret-of-the-newsletter"
    for key, value in {
        **space.env(),
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": sendgrid_server.url,
        "NEWSLETTER_FROM": "Ed <ed@news.example>",
        "NEWSLETTER_BASE_URL": "https://news.example",
        "NEWSLETTER_SECRET": link_secret,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    state = weekly_issue(
        week=dt.date(2024, 11, 25),
        require_approval=False,
        test_to=("proof@example.org",),
        return_state=True,
    )
    assert state.is_completed(), state.message
    assert sorted(a for a, _, _ in sendgrid_server.delivered()) == sorted(
        [*READERS, "proof@example.org", "editor@example.org"]
    )
    APILogHandler().flush()  # the run's log lines reach the API now, not in the next batch
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        shown = [client.read_flow_run(run_id).model_dump_json()]
        shown += [
            a.model_dump_json()
            for a in client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
            )
        ]
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    assert len(logs) > 5 and len(shown) > 4
    for text in shown + [log.message for log in logs]:
        assert API_KEY not in text and link_secret not in text
