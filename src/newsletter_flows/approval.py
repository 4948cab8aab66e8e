"""The editor's approval: the run pauses in place, the dashboard shows a form, and the review
page can answer it too.

While it waits, the run is recorded as waiting for the issue, so the review page's "Approve
and send" resumes it through Prefect's REST API with `{"approve": true, "version": N}`, an
answer this form accepts. The paused run keeps its process (the served process, or the
worker's) and continues in it when resumed; no answer within `[approval] timeout_hours`
means the issue is not sent. An empty Submit asks again: only `decline` declines.
"""

from __future__ import annotations

import datetime as dt

from prefect.context import FlowRunContext
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from newsletter.config.editor import ApprovalConfig
from newsletter.domain.review import Refusal
from newsletter.errors import NotApprovedError
from newsletter.issue.edits import Edits
from newsletter.services.build import Draft

from .notify import noted
from .tasks import done_waiting, wait_for_editor


class Approval(RunInput):
    """The form under the paused run's "Resume" button."""

    approve: bool = Field(
        default=False, description="Send this issue (its version below) to the subscribers now."
    )
    decline: bool = Field(
        default=False, description="Do not send it: the run ends and nothing goes out."
    )
    add: list[str] = Field(default_factory=list, description="arXiv ids to add to the issue.")
    remove: list[str] = Field(
        default_factory=list, description="arXiv ids to take out of the issue."
    )
    move: list[str] = Field(
        default_factory=list,
        description='Papers to put in another section, like "2412.01234 to LLM Reasoning".',
    )
    order: list[str] = Field(
        default_factory=list,
        description='Papers first in a section, in this order, like "LLM Reasoning: 2412.01234, 2412.05678".',
    )
    note: str = Field(
        default="", description="The editor's note under the intro (replaces the week's note)."
    )
    version: int = Field(
        default=0, description="The draft's version this answer is about (filled in: leave it)."
    )

    def edits(self) -> tuple[Edits, tuple[Refusal, ...]]:
        """What the editor asked for, and each entry that did not read (a typo refuses only
        itself)."""
        return Edits.typed_leniently(
            add=self.add,
            remove=self.remove,
            move=self.move,
            order=self.order,
            note=self.note if self.note.strip() else None,
        )


def ask(draft: Draft, config: ApprovalConfig, note: str = "") -> Approval:
    """Pause until the editor answers (in the dashboard or on the review page);
    NotApprovedError when the time is up."""
    timeout = max(1, round(config.timeout_hours * 3600))
    run = run_id()
    if run:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=timeout)
        wait_for_editor(draft.number, run, until)
    form = Approval.with_initial_data(description=question(draft, note), version=draft.version)
    try:
        return pause_flow_run(
            wait_for_input=form, timeout=timeout, poll_interval=config.poll_seconds
        )
    except FlowPauseTimeout:
        if run:
            done_waiting(draft.number, run)
        raise noted(
            NotApprovedError(
                f"no approval within {_duration(config.timeout_hours)}: issue {draft.number} was not sent",
                issue=draft.number,
                version=draft.version,
                status=draft.status,
                hint="start the weekly-issue run again to send it; nothing went to subscribers",
            )
        ) from None


def question(draft: Draft, note: str = "") -> str:
    """What the editor reads above the approval form: the review link, the picks, what
    changed since the last round, and what each answer does."""
    lines = [
        f"### Send issue {draft.number} «{draft.title}» (version {draft.version}) "
        f"to {draft.audience} subscribers?",
        "",
    ]
    if note:
        lines += [f"**{note}**", ""]
    if draft.links:
        lines += [f"**Review it on its page:** [{who}]({url})" for who, url in draft.links]
        lines += ["", "*Approve and send* there resumes this run.", ""]
    if draft.since:
        lines += ["Changed since the last proof:", *(f"- {c}" for c in draft.since.lines()), ""]
    lines += [f"- {p.number} `{p.arxiv_id}` {p.title} ({p.section})" for p in draft.picks]
    lines += [
        "",
        "*approve*: send this version now. *add* / *remove*: arXiv ids; *move*: "
        '"2412.01234 to LLM Reasoning". Edits change only what you name (a removed paper '
        "leaves the issue one shorter); a typo refuses only itself. With edits and no "
        "*approve*, a new proof goes out and you are asked again. *decline*: nothing is "
        "sent. Neither: you are asked again.",
    ]
    return "\n".join(lines)


def run_id() -> str | None:
    """The id of the flow run this is in."""
    context = FlowRunContext.get()
    return str(context.flow_run.id) if context and context.flow_run else None


def _duration(hours: float) -> str:
    seconds = round(hours * 3600)
    if seconds >= 3600:
        return f"{hours:g} h"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
