"""What `/healthz` checks, and how the answers make one status.

`down`: the store does not answer (nothing can work); `degraded`: something else is wrong,
the check says what; `ok`: every check passed. `prefect` is "ok", "down", or "unset" when
PREFECT_API_URL is not set. The answer names no address, URL or secret:
a monitor reads it, and so may anyone who finds the URL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from newsletter.domain.delivery import DeliveryStatus
from newsletter.store import IngestLog, LastSend

INGEST_MAX_AGE = dt.timedelta(hours=36)  # the daily ingest runs every day: a day and a half
STALLED_SEND = dt.timedelta(hours=1)  # a send with people left and no progress this long


class Status(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class PrefectView:
    """What the Prefect API said of the newsletter's deployments."""

    answered: bool
    detail: str  # why not, when it did not (or is not configured)
    configured: bool = True  # PREFECT_API_URL is set
    missing: tuple[str, ...] = ()  # deployments it does not know
    not_ready: tuple[str, ...] = ()  # known, but no runner or worker polls them
    paused: tuple[str, ...] = ()
    next_weekly_run: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Health:
    store: bool
    prefect: PrefectView
    ingests: IngestLog | None
    last_send: LastSend | None
    checks: tuple[Check, ...]

    @property
    def status(self) -> Status:
        if not self.store:
            return Status.DOWN
        return Status.OK if all(c.ok for c in self.checks) else Status.DEGRADED

    def to_json(self) -> dict[str, Any]:
        last = self.ingests.last_ok if self.ingests else None
        return {
            "status": self.status.value,
            "store": "ok" if self.store else "down",
            "prefect": _prefect_state(self.prefect),
            "last_ingest": _iso(last),
            "next_weekly_run": _iso(self.prefect.next_weekly_run),
            "last_send": _send_json(self.last_send),
            "checks": [c.to_json() for c in self.checks],
        }


def assess(
    *,
    store: str | None,
    ingests: IngestLog | None,
    last_send: LastSend | None,
    prefect: PrefectView,
    now: dt.datetime,
) -> Health:
    """The checks, from what was found. `store` is None when the store answered, else why not."""
    checks = [Check("store", store is None, store or "answers")]
    if store is None:
        checks.append(_ingest(ingests, now))
        checks.append(_send(last_send, now))
    checks += _prefect(prefect)
    return Health(store is None, prefect, ingests, last_send, tuple(checks))


def _ingest(log: IngestLog | None, now: dt.datetime) -> Check:
    if log is None or log.last_ok is None:
        return Check("last_ingest", False, "no feed has been ingested yet")
    age = now - log.last_ok
    failing = f"; failing now: {', '.join(sorted(log.failing))}" if log.failing else ""
    if age > INGEST_MAX_AGE:
        hours = age.total_seconds() / 3600
        return Check(
            "last_ingest",
            False,
            f"the last ingest that worked was {hours:.0f} h ago (more than "
            f"{INGEST_MAX_AGE.total_seconds() / 3600:.0f} h){failing}",
        )
    return Check("last_ingest", True, f"{_ago(age)} ago{failing}")


def _send(last: LastSend | None, now: dt.datetime) -> Check:
    if last is None:
        return Check("last_send", True, "nothing sent yet")
    if last.left and last.last_progress and now - last.last_progress > STALLED_SEND:
        return Check(
            "last_send",
            False,
            f"issue {last.issue}'s send stopped with {last.left} left, "
            f"{_ago(now - last.last_progress)} ago: run `newsletter send --issue {last.issue}`",
        )
    sent = last.counts.get(DeliveryStatus.SENT, 0)
    if last.left:
        return Check(
            "last_send", True, f"issue {last.issue} sending: {sent} sent, {last.left} left"
        )
    return Check("last_send", True, f"issue {last.issue} sent to {sent}")


def _prefect(view: PrefectView) -> list[Check]:
    if not view.answered:
        return [Check("prefect", False, view.detail)]
    checks = [Check("prefect", True, "answers")]
    problems = []
    if view.missing:
        problems.append(f"unknown to Prefect: {', '.join(view.missing)}")
    if view.paused:
        problems.append(f"schedules paused: {', '.join(view.paused)}")
    if view.not_ready:
        problems.append(
            f"no runner or worker is polling {', '.join(view.not_ready)} "
            "(is `newsletter serve` running?)"
        )
    checks.append(Check("deployments", not problems, "; ".join(problems) or "all known, polled"))
    when = view.next_weekly_run
    checks.append(
        Check(
            "next_weekly_run",
            when is not None,
            f"{when:%Y-%m-%d %H:%M} UTC" if when else "no weekly-issue run is scheduled",
        )
    )
    return checks


def _send_json(last: LastSend | None) -> dict[str, Any] | None:
    if last is None:
        return None
    return {
        "issue": last.issue,
        "status": last.status.value,
        "finished_at": _iso(last.sent_at),
        "deliveries": {str(k): v for k, v in sorted(last.counts.items())},
    }


def _prefect_state(view: PrefectView) -> str:
    if not view.configured:
        return "unset"
    return "ok" if view.answered else "down"


def _iso(when: dt.datetime | None) -> str | None:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds") if when else None


def _ago(age: dt.timedelta) -> str:
    minutes = age.total_seconds() / 60
    if minutes < 90:
        return f"{max(0, round(minutes))} min"
    return f"{minutes / 60:.0f} h"
