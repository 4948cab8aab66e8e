"""weekly-issue served by `flows/serve.py` and started like the dashboard's Run button does."""

from __future__ import annotations

import datetime as dt
import json
import re
from email import message_from_bytes
from email.message import Message
from typing import Any
from uuid import UUID

import pytest

from tests.flows.conftest import Served
from tests.support.stores import migrated
from tests.support.workspace import READERS

pytestmark = pytest.mark.flow

WEEK = "2024-11-25"


def artifacts(run_id: UUID) -> dict[str, Any]:
    """The run's artifacts by key, the latest of each."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])),
            sort=ArtifactSort.CREATED_DESC,
        )
    latest: dict[str, Any] = {}
    for artifact in found:
        latest.setdefault(artifact.key, artifact)
    return latest


def read(path: Any) -> Message:
    return message_from_bytes(path.read_bytes())


@pytest.fixture(scope="module")
def first_run(served: Served) -> UUID:
    run_id = served.run(
        "weekly-issue/weekly-issue",
        week=WEEK,
        require_approval=False,
        test_to=["proof@example.org"],
    )
    flow_run = served.wait(run_id)
    assert flow_run.state.is_completed(), f"{flow_run.state!r}\n{served.tail()}"
    return run_id


def test_a_run_builds_previews_proofs_and_sends_to_every_active_subscriber(
    served: Served, first_run: UUID
) -> None:
    """The run completes; its artifacts hold the issue; one message per active subscriber."""
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(dt.date.fromisoformat(WEEK))
    assert issue is not None and issue.status == "sent"
    n = issue.number
    found = artifacts(first_run)
    assert {
        f"issue-{n}-preview",
        f"issue-{n}-candidates",
        f"issue-{n}-review",
        f"issue-{n}-send-report",
    } <= set(found)
    first_paper = issue.record.sections[0].papers[0]
    assert (
        issue.title in found[f"issue-{n}-preview"].data
        and first_paper.title in found[f"issue-{n}-preview"].data
    )
    rows = json.loads(found[f"issue-{n}-candidates"].data)
    assert len(rows) == len(issue.record.candidates) >= 5
    assert {"score", "section", "why"} <= set(rows[0]) and rows[0]["why"]
    link = found[f"issue-{n}-review"].data  # a link artifact is "[text](url)": the review page
    assert re.search(r"\]\(http://127\.0\.0\.1:\d+/review/[\w.-]+\)$", link) and "file:" not in link
    html = served.space.root / "out" / WEEK / "issue.html"
    assert issue.title.split(" for ")[0] in html.read_text()
    assert "| sent | 3 |" in found[f"issue-{n}-send-report"].data
    mails = served.space.mails(n)
    assert sorted(read(m)["To"] for m in mails) == sorted(READERS)
    proofs = served.space.outbox / "proofs" / f"issue-{n}"
    assert {p.name for p in proofs.glob("*.eml")} == {
        "proof@example.org.eml",
        "editor@example.org.eml",
    }
    assert read(proofs / "proof@example.org.eml")["Subject"].startswith("[Proof] ")


def test_the_same_week_again_delivers_nothing(served: Served, first_run: UUID) -> None:
    """A second run finds the issue sent: no rebuild, no proof, no approval, no message twice."""
    with migrated(served.space.database_url) as store:
        issue = store.issue_for_week(dt.date.fromisoformat(WEEK))
    assert issue is not None
    before = {m.name: m.stat().st_mtime_ns for m in served.space.mails(issue.number)}
    run_id = served.run(
        "weekly-issue/weekly-issue", week="2024-11-27"
    )  # approval required, yet not asked
    flow_run = served.wait(run_id)
    assert flow_run.state.is_completed(), served.tail()
    assert "sent 0" in flow_run.state.message
    assert {m.name: m.stat().st_mtime_ns for m in served.space.mails(issue.number)} == before
    assert "| sent | 0 |" in artifacts(run_id)[f"issue-{issue.number}-send-report"].data


def test_the_deployments_carry_their_schedules(served: Served) -> None:
    """weekly-issue Mondays 08:00 in the editor's zone (tests/flows/newsletter.toml), daily-ingest in UTC."""
    from prefect import get_client

    with get_client(sync_client=True) as client:
        weekly = client.read_deployment_by_name("weekly-issue/weekly-issue")
        daily = client.read_deployment_by_name("daily-ingest/daily-ingest")
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in weekly.schedules] == [
        ("0 8 * * 1", "Europe/Berlin", True)
    ]
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in daily.schedules] == [
        ("0 5 * * *", "UTC", True)
    ]
    form = weekly.parameter_openapi_schema["properties"]
    assert list(form) == [
        "week",
        "size",
        "include",
        "exclude",
        "test_to",
        "require_approval",
        "dry_run",
        "backend",
    ]
    assert (
        form["require_approval"]["default"] is True and form["week"]["anyOf"][0]["format"] == "date"
    )
