"""The scheduler's REST API, for the one thing the library asks of it: resume a weekly run
paused for the editor's answer, with that answer. Plain HTTP (httpx): the library never
imports Prefect.

Prefect 3.8's `POST /api/flow_runs/{id}/resume` takes `{"run_input": {...}}`, checks it
against the JSON schema the paused run stored for its form (newsletter_flows/approval.py's
`Approval`: `approve`, `decline`, `version`, the edits), and answers an orchestration
result: `status` ACCEPT (resumed), ABORT (the run is not paused: not yet, or not any more:
timed out, cancelled, resumed by someone else) or REJECT (the answer did not fit the form,
or the form is not saved yet: a run saves it just after it pauses), with `details.reason`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from newsletter.errors import NewsletterError

_RUN_ID = re.compile(r"[0-9a-fA-F-]{36}")
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED", "CANCELLING", "DELETED"}


class SchedulerError(NewsletterError):
    """The scheduler could not be reached, or answered with an error."""

    hint = "check NEWSLETTER_PREFECT_API_URL (or PREFECT_API_URL) and that the server is up"


@dataclass(frozen=True, slots=True)
class Resumed:
    accepted: bool  # the run goes on with the answer
    gone: bool  # the run was not waiting any more (timed out, cancelled, answered)
    reason: str = ""


class Scheduler(Protocol):
    def resume(self, run_id: str, answer: dict[str, Any]) -> Resumed: ...


class PrefectApi:
    """Prefect's REST API at `url` (e.g. http://127.0.0.1:4200/api); `auth` is the server's
    basic-auth "user:password" (PREFECT_API_AUTH_STRING), when it has one."""

    def __init__(
        self,
        url: str,
        *,
        auth: str | None = None,
        timeout: float = 10.0,
        settle: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        user, _, password = (auth or "").partition(":")
        self._auth = httpx.BasicAuth(user, password) if auth else None
        self._timeout = timeout
        self._settle = settle
        self._transport = transport

    def resume(self, run_id: str, answer: dict[str, Any]) -> Resumed:
        """Resume the run with `answer`. A run caught between marking itself waiting and
        pausing (or saving its form just after) is tried again for up to `settle` seconds;
        one in a final state is gone."""
        if not _RUN_ID.fullmatch(run_id):
            raise SchedulerError(f"{run_id!r} is not a flow run id")
        deadline = time.monotonic() + self._settle
        with httpx.Client(
            base_url=self.url, auth=self._auth, timeout=self._timeout, transport=self._transport
        ) as client:
            while True:
                try:
                    found = self._resume_once(client, run_id, answer)
                    if found.accepted or found.gone:
                        return found
                    state = self._state(client, run_id)
                except SchedulerError as exc:  # a busy server (its database locked, say)
                    if not exc.retryable or time.monotonic() > deadline:
                        raise
                    time.sleep(0.25)
                    continue
                if state in FINAL:
                    return Resumed(False, True, f"the run is {state.lower()}")
                if time.monotonic() > deadline:
                    return found
                time.sleep(0.25)

    def _resume_once(self, client: httpx.Client, run_id: str, answer: dict[str, Any]) -> Resumed:
        reply = self._call(client, "POST", f"/flow_runs/{run_id}/resume", {"run_input": answer})
        if reply.status_code == 404:
            return Resumed(False, True, "the scheduler has no such run")
        body = self._json(reply)
        status = str(body.get("status"))
        reason = str((body.get("details") or {}).get("reason") or status)
        if status == "ACCEPT":
            return Resumed(True, False)
        # not paused (yet, or any more), or its form not saved yet: the caller looks again
        return Resumed(False, False, reason)

    def _state(self, client: httpx.Client, run_id: str) -> str | None:
        reply = self._call(client, "GET", f"/flow_runs/{run_id}", None)
        if reply.status_code == 404:
            return "DELETED"
        state = self._json(reply).get("state") or {}
        return str(state.get("type")) if isinstance(state, dict) else None

    def _call(
        self, client: httpx.Client, method: str, path: str, body: dict[str, Any] | None
    ) -> httpx.Response:
        try:
            reply = client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise SchedulerError(f"cannot reach the scheduler at {self.url}: {exc}") from exc
        if reply.status_code >= 400 and reply.status_code != 404:
            failed = SchedulerError(
                f"the scheduler answered {reply.status_code}: {reply.text[:200]}"
            )
            failed.retryable = reply.status_code >= 500
            raise failed
        return reply

    def _json(self, reply: httpx.Response) -> dict[str, Any]:
        try:
            body = reply.json()
        except ValueError:
            raise SchedulerError(
                f"the scheduler's answer is not JSON: {reply.text[:200]}"
            ) from None
        if not isinstance(body, dict):
            raise SchedulerError(f"the scheduler's answer is not an object: {reply.text[:200]}")
        return body
