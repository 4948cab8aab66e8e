"""Run hooks: a failed, crashed or cancelled run tells the editors by email, through the run's backend."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from prefect.client.schemas.objects import FlowRun, State
from prefect.context import FlowRunContext
from prefect.logging import get_logger
from prefect.settings import PREFECT_UI_URL

from newsletter.errors import NewsletterError
from newsletter.services.notify import notify_editors
from newsletter.services.review import resumed

from .settings import app

E = TypeVar("E", bound=BaseException)
# Causes the final state cannot carry: a run failed for an expired pause ends in the
# server's own words ("never resumed"), so the flow notes the real reason here first.
_NOTED: dict[UUID, BaseException] = {}


def noted(exc: E) -> E:
    """`exc`, remembered as the reason the current flow run is about to fail."""
    context = FlowRunContext.get()
    if context and context.flow_run:
        _NOTED[context.flow_run.id] = exc
    return exc


CANCELLED_HINT = (
    "start the run again when ready: a weekly-issue run for the same week finishes "
    "what this one left and reaches nobody twice"
)


def tell_editors(flow: Any, flow_run: FlowRun, state: State[Any]) -> None:
    """on_failure / on_crashed / on_cancellation: which run, what went wrong, what to do, where to look."""
    _waits_no_more(flow_run)
    cause = _NOTED.pop(flow_run.id, None) or _cause(state)
    cancelled = state.is_cancelling() or state.is_cancelled()
    if cancelled and _completed_before(flow_run.id):
        get_logger("newsletter.flows").info(
            "run %s had completed when it was cancelled: no notice", flow_run.name
        )
        return
    ended = "cancelled" if cancelled else (state.name or state.type.value).lower()
    lines = [
        f"The {flow.name} run '{flow_run.name}' ended {ended}.",
        "",
        cause or state.message or "",
    ]
    if isinstance(cause, NewsletterError) and cause.hint:
        lines.append(f"What to do: {cause.hint}")
    elif cancelled:
        lines.append(f"What to do: {CANCELLED_HINT}")
    if flow_run.parameters:
        lines += ["", f"Parameters: {flow_run.parameters}"]
    ui = PREFECT_UI_URL.value()
    if ui:
        lines += ["", f"Run: {ui}/runs/flow-run/{flow_run.id}"]
    subject = f"{flow.name} {ended}: {str(cause or state.message or '')[:120]}"
    backend = (flow_run.parameters or {}).get("backend")
    try:
        sent_to = notify_editors(app(), subject, "\n".join(str(x) for x in lines), backend=backend)
    except Exception:  # a notice that cannot go must not hide the failure it reports
        get_logger("newsletter.flows").exception("could not notify the editors")
        return
    get_logger("newsletter.flows").info(
        "editors notified: %s", ", ".join(sent_to) or "none configured"
    )


def _waits_no_more(flow_run: FlowRun) -> None:
    """A run that ended waits for no editor: its issue's review page and `newsletter send`
    stop counting on it."""
    try:
        resumed(app(), None, str(flow_run.id))
    except Exception:  # the store unreachable: the mark lapses when its pause would have
        get_logger("newsletter.flows").exception("could not clear the run's waiting mark")


def _completed_before(run_id: UUID) -> bool:
    """Stopping serve.py (or a worker) just after a run completed still "cancels" it and calls
    this hook while the run's process exits: the editors must not hear of a cancelled send."""
    from prefect import get_client

    try:
        with get_client(sync_client=True) as client:
            return any(seen.is_completed() for seen in client.read_flow_run_states(run_id))
    except Exception:  # the API unreachable: better a needless notice than a missing one
        return False


def _cause(state: State[Any]) -> BaseException | None:
    try:
        found = state.result(raise_on_failure=False)
    except Exception:  # a crashed run may have no result to read
        return None
    return found if isinstance(found, BaseException) else None
