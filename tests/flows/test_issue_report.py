"""issue-report served by `flows/serve.py`: the report's tables as artifacts, its page
written and linked, on its own Thursday schedule."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from newsletter.delivery.backends.outbox import OutboxBackend
from newsletter.delivery.message import Sender
from newsletter.engagement.ingest import apply_events
from tests.flows.conftest import Served
from tests.flows.test_weekly_issue import artifacts
from tests.support.engagement import golden_record, send_record
from tests.support.stores import migrated

pytestmark = pytest.mark.flow
WEEK = dt.date(2024, 6, 3)  # a week of its own: the weekly tests send 2024-11-25
SITE = "http://localhost:8000"


def sent_with_events(served: Served) -> int:
    """The demo issue sent (as another week's) to the workspace's readers; one opened it and
    clicked a paper."""
    with migrated(served.space.database_url) as store:
        number = store.issue_number_for(WEEK)
        record = golden_record(number=number, week_start=WEEK)
        sender = Sender.parse("Editor <e@example.org>", SITE, "s")
        send_record(store, record, sender, OutboxBackend(served.space.outbox), "s")
        (first, email), *_ = store.sent_to(number)
        paper = record.sections[0].papers[0]
        now = dt.datetime.now(dt.UTC)
        events = [
            {"event": kind, "email": email, "issue": str(number), "subscriber": str(first),
             "timestamp": int(now.timestamp()) - 60, "sg_event_id": f"{kind}-{number}", **extra}
            for kind, extra in (("delivered", {}), ("open", {}), ("click", {"url": paper.url}))
        ]  # fmt: skip
        apply_events(store, events, now, base_url=SITE)
    return number


def test_a_run_publishes_the_reports_tables_and_links_its_page(served: Served) -> None:
    number = sent_with_events(served)
    run_id = served.run("issue-report/issue-report", issue=number)
    flow_run = served.wait(run_id)
    assert flow_run.state.is_completed(), f"{flow_run.state!r}\n{served.tail()}"
    assert f"issue {number}: 1 delivered, 1 opened (100.0%), 1 clicked" in flow_run.state.message
    found = artifacts(run_id)
    key = f"issue-{number}-report"
    assert {key, f"{key}-summary", f"{key}-papers", f"{key}-sections", f"{key}-page"} <= set(found)
    papers = json.loads(found[f"{key}-papers"].data)
    assert papers[0]["clicks"] == 1 and papers[0]["paper"] == "1.1"
    page = served.space.root / "data" / "reports" / f"issue-{number}.html"
    # with NEWSLETTER_BASE_URL and _SECRET (set for the review site): the web app's live page
    assert re.search(r"\(http://127\.0\.0\.1:\d+/reports/[\w.-]+\)", found[f"{key}-page"].data)
    assert "chart-papers" in page.read_text(encoding="utf-8")


def test_it_runs_on_thursdays_in_the_editors_zone(served: Served) -> None:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("issue-report/issue-report")
    assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules] == [
        ("0 8 * * 4", "Europe/Berlin", True)
    ]
    assert list(deployment.parameter_openapi_schema["properties"]) == ["issue", "weeks"]
