"""A subject test in the served weekly run: the sample goes out after approval and the run
ends; the rest is a run of its own, scheduled at the sample's send + wait_hours, which sends
everyone else the winner (made by clicks recorded in between) and mails the editors."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from typing import Any

import pytest

from newsletter.engagement.ingest import apply_events
from newsletter.subscribers.membership import add, unsubscribe
from tests.flows.conftest import Served
from tests.flows.test_weekly_issue import artifacts
from tests.support.stores import migrated
from tests.support.workspace import READERS

pytestmark = pytest.mark.flow

WEEK = dt.date(2024, 11, 18)  # a week of its own: the other flow tests send later ones
MORE = tuple(f"tester{n}@example.org" for n in range(7))  # 10 active: 2 a subject in the sample
SUBJECTS = '["{title}", "Ten minutes of LLM research: {week}"]'
TEST = f"""
[subject_test]
subjects = {SUBJECTS}
sample = 0.5
wait_hours = 0.004          # 14.4 s: time to record the sample's clicks
min_per_variant = 2
"""


def subject(path: Any) -> str:
    return str(message_from_bytes(path.read_bytes(), policy=policy.default)["Subject"])


def test_the_sample_then_a_scheduled_run_sends_the_rest_the_winner(served: Served) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    plain = served.config.read_text()
    served.config.write_text(plain + TEST)
    with migrated(served.space.database_url) as store:
        for email in MORE:
            add(store, email)
    try:
        first = served.run(
            "weekly-issue/weekly-issue", week=WEEK.isoformat(), require_approval=False
        )
        ended = served.wait(first)
        assert ended.state.is_completed(), served.tail()
        with migrated(served.space.database_url) as store:
            issue = store.issue_for_week(WEEK)
            assert issue is not None
            number = issue.number
            test = store.subject_test(number)
            assert test is not None and test.ready_at is not None and test.decision is None
            sample = store.sent_with_variants(number)
            assert sorted(v for _, _, v in sample) == [0, 0, 1, 1]
            clicks = [_click(number, i, e, n) for n, (i, e, v) in enumerate(sample) if v == 1]
            assert apply_events(store, clicks, dt.datetime.now(dt.UTC)).applied == 2
        assert f"in the run 'issue-{number}-rest-with-winner'" in ended.state.message
        assert "sample went to 4 in 2 subjects" in ended.state.message
        with get_client(sync_client=True) as client:
            named = FlowRunFilterName(any_=[f"issue-{number}-rest-with-winner"])
            (rest,) = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=named))
        assert rest.deployment_id == ended.deployment_id and "subject-test" in rest.tags
        assert rest.expected_start_time is not None
        assert abs(rest.expected_start_time - test.ready_at) < dt.timedelta(seconds=1)
        assert rest.parameters["week"] == WEEK.isoformat()
        done = served.wait(rest.id, timeout=90)
        assert done.state.is_completed(), served.tail()
        assert done.state.message.startswith(f"issue {number}: sent 6,")
    finally:
        served.config.write_text(plain)
        with migrated(served.space.database_url) as store:
            for email in MORE:
                unsubscribe(store, email)
    mails = served.space.mails(number)
    assert len(mails) == len(READERS) + len(MORE)  # the outbox: one file per reader, at most
    winner = "Ten minutes of LLM research: Third Week of November 2024"
    subjects = [subject(m) for m in mails]
    assert sorted(subjects).count(winner) == 2 + 6 and subjects.count(issue.title) == 2
    notice = message_from_bytes(served.space.notice().read_bytes(), policy=policy.default)
    assert (
        notice["Subject"] == f"[newsletter] subject test of issue {number}: B won (best click rate)"
    )
    body = notice.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "B won on clicks: B 100.0% (2 of 2) vs A 0.0% (0 of 2)" in body, body
    assert f"The rest of the list (6) gets: {winner}" in body
    shown = artifacts(rest.id)[f"issue-{number}-subject-test"].data
    assert "B: Ten minutes" in shown and "| yes |" in shown and "best click rate" in shown
    assert f"issue-{number}-subject-test" in artifacts(first)


def _click(number: int, subscriber: int, email: str, n: int) -> dict[str, Any]:
    return {
        "event": "click",
        "email": email,
        "timestamp": int(dt.datetime.now(dt.UTC).timestamp()) - 60,
        "sg_event_id": f"flow-click-{number}-{n}",
        "issue": str(number),
        "subscriber": str(subscriber),
        "url": "https://example.com/elsewhere",
    }
