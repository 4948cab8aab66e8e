"""GET /healthz on the real app under uvicorn: down when the store does not answer, degraded
(503) with the reason when Prefect is unset or unreachable, the daily ingest is late or a
send stopped half-way; never a secret, address or URL in the answer. (With a real Prefect
API: tests/flows/test_health.py and the release rehearsal.)"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.domain.papers import FeedReport
from newsletter.store import Store
from newsletter.subscribers import membership
from newsletter.web import health
from tests.release.rehearsal import free_port
from tests.support.stores import migrated
from tests.support.web_site import SECRET, Site, running_site

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(autouse=True)
def fresh_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "KEEP_SECONDS", 0.0)  # each request checks again


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with migrated(f"sqlite:///{tmp_path / 'store.db'}") as made:
        yield made


def answer(site: Site) -> tuple[int, dict[str, Any]]:
    found = site.http.get("/healthz")
    assert found.headers["content-type"] == "application/json"
    assert found.headers["cache-control"] == "no-store"
    return found.status_code, found.json()


def checks(body: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {c["name"]: (c["ok"], c["detail"]) for c in body["checks"]}


def test_the_answer_has_every_field_and_names_no_secret_address_or_url(
    store: Store, tmp_path: Path
) -> None:
    """Prefect's URL on a port nobody listens on: degraded, the store fine, nothing private."""
    membership.add(store, "reader@example.org")
    store.record_ingests([FeedReport("hf-daily", new=3)])
    prefect = f"http://admin:hunter2@127.0.0.1:{free_port()}/api"
    with running_site(store, tmp_path, prefect_api_url=prefect) as site:
        status, body = answer(site)
        text = site.http.get("/healthz").text
    assert status == 503 and body["status"] == "degraded"
    assert set(body) == {
        "status", "store", "prefect", "last_ingest", "next_weekly_run", "last_send", "checks"
    }  # fmt: skip
    assert body["store"] == "ok" and body["prefect"] == "down" and body["next_weekly_run"] is None
    assert dt.datetime.fromisoformat(body["last_ingest"]) > NOW - dt.timedelta(minutes=5)
    assert checks(body)["prefect"] == (False, "the Prefect API does not answer (ConnectError)")
    assert checks(body)["last_ingest"][0] and checks(body)["store"] == (True, "answers")
    for private in (SECRET, "hunter2", "admin", prefect.rsplit(":", 1)[1], str(tmp_path),
                    "reader@example.org", "127.0.0.1", site.url):  # fmt: skip
        assert private not in text


def test_without_prefect_a_stale_ingest_and_a_stalled_send_it_says_why(
    store: Store, tmp_path: Path
) -> None:
    long_ago = NOW - dt.timedelta(hours=40)
    with Store(store.url, clock=lambda: long_ago) as then:
        then.record_ingests([FeedReport("hf-daily", new=3), FeedReport("arxiv", error="down")])
        for n in range(3):
            membership.add(then, f"r{n}@example.org")
        then.save_draft(number=1, week_start=dt.date(2024, 11, 25), title="t", html="h",
                        text="t", markdown="m", record=_record())  # fmt: skip
        then.enqueue(1)  # the send started 40 h ago, and stopped with everyone queued
    with running_site(store, tmp_path, prefect_api_url=None) as site:
        status, body = answer(site)
    found = checks(body)
    assert status == 503 and body["status"] == "degraded" and body["prefect"] == "unset"
    assert found["prefect"] == (False, "PREFECT_API_URL is not set: the deployments and their "
                                "schedules are unknown")  # fmt: skip
    assert found["last_ingest"] == (
        False, "the last ingest that worked was 40 h ago (more than 36 h); failing now: arxiv"
    )  # fmt: skip
    assert found["last_send"] == (
        False, "issue 1's send stopped with 3 left, 40 h ago: run `newsletter send --issue 1`"
    )  # fmt: skip
    assert body["last_send"] == {"issue": 1, "status": "sending", "finished_at": None,
                                 "deliveries": {"queued": 3}}  # fmt: skip


def test_a_store_that_does_not_answer_is_down(store: Store, tmp_path: Path) -> None:
    with running_site(store, tmp_path, prefect_api_url=None) as site:
        store.engine.dispose()
        path = Path(str(store.engine.url.database))
        path.unlink()
        os.mkdir(path)  # nothing SQLite can open
        status, body = answer(site)
    assert status == 503 and body["status"] == "down" and body["store"] == "down"
    assert checks(body)["store"] == (False, "does not answer (OperationalError)")
    assert "last_ingest" not in checks(body)


def test_answers_are_kept_a_few_seconds(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood of requests costs the store and Prefect one check every KEEP_SECONDS."""
    monkeypatch.setattr(health, "KEEP_SECONDS", 60.0)
    with running_site(store, tmp_path, prefect_api_url=None) as site:
        _, first = answer(site)
        store.record_ingests([FeedReport("hf-daily", new=1)])
        _, second = answer(site)
    assert first == second and first["last_ingest"] is None


def _record() -> Any:
    from tests.support.deliveries import issue_record

    return issue_record(1, dt.date(2024, 11, 25), "t", ("2411.00001", "A paper"))
