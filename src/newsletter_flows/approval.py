"""The editor's approval: the run pauses in place and the dashboard shows a form.

The paused run keeps its process (the served process, or the worker's) and continues in it
when resumed; no answer within `[approval] timeout_hours` means the issue is not sent.
"""

from __future__ import annotations

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import Field

from newsletter.config.editor import ApprovalConfig
from newsletter.issue.edits import Edits
from newsletter.services.approve import NotApprovedError
from newsletter.services.build import Draft

from .notify import noted


class Approval(RunInput):
    """The form under the paused run's "Resume" button."""

    approve: bool = Field(default=False, description="Send this issue to the subscribers now.")
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

    @property
    def changes(self) -> bool:
        return bool(self.add or self.remove or self.move or self.order or self.note.strip())

    def edits(self) -> Edits:
        """What the editor asked for; ConfigError naming the first typo."""
        return Edits.typed(
            add=self.add,
            remove=self.remove,
            move=self.move,
            order=self.order,
            note=self.note if self.note.strip() else None,
        )


def ask(draft: Draft, config: ApprovalConfig, note: str = "") -> Approval:
    """Pause until the editor answers; NotApprovedError when the time is up."""
    form = Approval.with_initial_data(description=question(draft, note))
    try:
        return pause_flow_run(
            wait_for_input=form,
            timeout=max(1, round(config.timeout_hours * 3600)),
            poll_interval=config.poll_seconds,
        )
    except FlowPauseTimeout:
        raise noted(
            NotApprovedError(
                f"no approval within {_duration(config.timeout_hours)}: issue {draft.number} was not sent"
            )
        ) from None


def question(draft: Draft, note: str = "") -> str:
    """What the editor reads above the approval form: the picks, with the ids to remove."""
    lines = [f"### Send issue {draft.number} «{draft.title}» to {draft.audience} subscribers?", ""]
    if note:
        lines += [f"**{note}**", ""]
    lines += [f"- {p.number} `{p.arxiv_id}` {p.title} ({p.section})" for p in draft.picks]
    lines += [
        "",
        '*approve*: send it now. *add* / *remove*: arXiv ids; *move*: "2412.01234 to '
        'LLM Reasoning"; the issue is rebuilt and shown again (with *approve* it is sent at '
        "once), and the models learn from every edit. Neither: it is not sent.",
    ]
    return "\n".join(lines)


def _duration(hours: float) -> str:
    seconds = round(hours * 3600)
    if seconds >= 3600:
        return f"{hours:g} h"
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
