"""`/healthz`'s Prefect checks against a real Prefect API, with the flows served from this
checkout: the three deployments known and polled by their runner. (The next weekly run needs
Prefect's scheduler, which the test harness does not run: the release rehearsal checks it
with `prefect server start`.)"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from newsletter.app import App
from newsletter.config import Settings
from newsletter.ops.prefect_api import DEPLOYMENTS
from newsletter.services.health import Health, health
from tests.flows.conftest import Served

pytestmark = pytest.mark.flow


def test_health_sees_the_served_deployments_polled(served: Served, prefect_api: str) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=served.space.database_url,
        prefect_api_url=prefect_api,
    )
    deadline = time.monotonic() + 60
    while True:  # a runner polls each second here; Prefect marks a deployment READY then
        found: Health = health(App(settings), now=dt.datetime.now(dt.UTC))
        checks = {c.name: c for c in found.checks}
        if checks["deployments"].ok or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert checks["store"].ok and checks["prefect"].ok, found.checks
    assert checks["deployments"].ok, checks["deployments"].detail
    assert found.prefect.missing == () and found.prefect.not_ready == ()
    body = found.to_json()
    assert body["prefect"] == "ok" and body["store"] == "ok"
    assert prefect_api.rsplit(":", 1)[1] not in str(body)  # no address in the answer
    assert len(DEPLOYMENTS) == 3
