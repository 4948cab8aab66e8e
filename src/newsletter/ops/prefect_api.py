"""Prefect's REST API, asked over httpx what `/healthz` needs: does it answer, are the
newsletter's deployments there (and polled by a runner or worker), and when does the weekly
run start next. The library never imports Prefect: these are the calls its dashboard makes.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

# flow name/deployment name: what newsletter_flows.serve and prefect.yaml deploy
WEEKLY = "weekly-issue/weekly-issue"
DEPLOYMENTS = (WEEKLY, "daily-ingest/daily-ingest", "issue-report/issue-report")
TIMEOUT = 3.0  # seconds per call: a health check must answer even when Prefect does not


class PrefectUnavailable(Exception):
    """The API did not answer, or answered with an error (the message names neither URL nor
    credentials: it may end up in a public health answer)."""


@dataclass(frozen=True, slots=True)
class Deployment:
    name: str  # flow/deployment
    id: str
    paused: bool
    ready: bool  # a runner or worker polled it lately (Prefect's READY status)


class PrefectApi:
    """A client of one Prefect API (`PREFECT_API_URL`, e.g. http://127.0.0.1:4200/api)."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        auth_string: str | None = None,
        timeout: float = TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        elif auth_string:
            token = base64.b64encode(auth_string.encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self._http = httpx.Client(
            base_url=url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PrefectApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def healthy(self) -> None:
        """Nothing if the API answers its health check; PrefectUnavailable otherwise."""
        self._call("GET", "/health")

    def deployment(self, name: str) -> Deployment | None:
        """The deployment `flow/deployment`, or None when the API does not know it."""
        found = self._call("GET", f"/deployments/name/{name}", missing_ok=True)
        if found is None:
            return None
        return Deployment(
            name=name,
            id=str(found["id"]),
            paused=bool(found.get("paused")),
            ready=found.get("status") == "READY",
        )

    def next_run(self, deployment: Deployment, now: dt.datetime) -> dt.datetime | None:
        """When the deployment's next scheduled run is expected to start (after `now`)."""
        body = {
            "deployments": {"id": {"any_": [deployment.id]}},
            "flow_runs": {
                "state": {"type": {"any_": ["SCHEDULED"]}},
                "expected_start_time": {"after_": now.isoformat()},
            },
            "sort": "EXPECTED_START_TIME_ASC",
            "limit": 1,
        }
        runs = self._call("POST", "/flow_runs/filter", json=body)
        if not runs:
            return None
        when = dt.datetime.fromisoformat(str(runs[0]["expected_start_time"]))
        return when.astimezone(dt.UTC)

    def _call(self, method: str, path: str, *, missing_ok: bool = False, **kw: Any) -> Any:
        try:
            response = self._http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise PrefectUnavailable(f"does not answer ({type(exc).__name__})") from exc
        if missing_ok and response.status_code == 404:
            return None
        if response.is_error:
            raise PrefectUnavailable(f"answered {response.status_code} to {method} {path}")
        try:
            return response.json()
        except ValueError as exc:
            raise PrefectUnavailable(f"answered {method} {path} with no JSON") from exc
