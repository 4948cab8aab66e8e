"""weekly-issue: catch up, build, preview, proof, the editor's approval, send, report."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Cancelled, Completed

from newsletter.config import EditorConfig
from newsletter.errors import NewsletterError
from newsletter.issue.edits import Edits
from newsletter.services.build import Draft, check_candidates, week_of
from newsletter.services.send import proof_recipients

from . import publish, subject_test
from .approval import ask
from .notify import tell_editors
from .settings import editor_config, today
from .tasks import (
    audience,
    build_issue,
    ingest_all,
    learn_from_issue,
    previous_report,
    revise_issue,
    send_issue,
    send_proof,
    upgrade_store,
)

Backend = Literal["sendgrid", "smtp", "outbox"]


@flow(
    name="weekly-issue",
    on_failure=[tell_editors],
    on_crashed=[tell_editors],
    on_cancellation=[tell_editors],
)
def weekly_issue(
    week: dt.date | None = None,
    size: int | None = None,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    test_to: tuple[str, ...] = (),
    require_approval: bool = True,
    dry_run: bool = False,
    backend: Backend | None = None,
) -> State[Any]:
    """The week's issue to every active subscriber, once the editor approves it.

    Args:
        week: Any day of the week to send (default: the week that just ended).
        size: Papers in the issue (default: newsletter.toml's [selection] size).
        include: arXiv ids to put in whatever their score.
        exclude: arXiv ids to leave out.
        test_to: Addresses for the proof; the editors in newsletter.toml get it too.
        require_approval: Pause for the editor's answer in the dashboard before sending.
        dry_run: Build and preview only; no mail goes out, no proof either.
        backend: sendgrid, smtp or outbox (default: sendgrid if a key is set, else smtp, else outbox).
    """
    config = editor_config()
    target = week_of(week, today(config.schedule.timezone))
    upgrade_store()
    ingest_all(target.start, target.end)  # catch up; a failing feed only leaves a gap
    edits = Edits.typed(add=include, remove=exclude, size=size)
    draft = build_issue(target.start, edits)
    check_candidates(draft, config.schedule.min_candidates)
    publish.draft(draft)
    if dry_run:
        why = f"Dry run: it would go to {audience(draft.number)} subscribers."
        publish.unsent(draft, why)
        return Completed(message=why)
    if not draft.locked:  # a send already started was approved then: only finish it
        proof_to = proof_recipients(config, test_to)
        if proof_to:
            send_proof(draft.number, proof_to, backend)
        if require_approval:
            answer = approved(draft, edits, config, proof_to, backend)
            if answer is None:
                publish.unsent(draft, "The editor declined it.")
                return Cancelled(
                    message=f"issue {draft.number} declined by the editor: nothing was sent"
                )
            draft = answer
    waiting = subject_test.before_send(draft, config, backend)
    if waiting is not None:  # the sample is out; the rest is a run of its own, scheduled
        return waiting
    report = send_issue(draft.number, backend)
    publish.report(report, previous_report(draft.number))
    subject_test.after_send(draft.number, backend)
    model = learn_from_issue(draft.number)  # the issue as sent, and the edits, teach the next
    return Completed(
        message=f"issue {report.issue_number}: sent {report.sent}, failed {report.failed}, "
        f"skipped {report.skipped}; model now {model}"
    )


def approved(
    draft: Draft, edits: Edits, config: EditorConfig, proof_to: tuple[str, ...], backend: str | None
) -> Draft | None:
    """Ask until the editor approves (the draft to send) or declines (None).

    Edits (papers to add, remove, move or order, a note) rebuild the issue, are kept for the
    models and publish a new preview; without approval the new proof goes out and the editor
    is asked again.
    """
    note = ""
    while True:
        answer = ask(draft, config.approval, note)
        if answer.changes:
            try:
                revision = revise_issue(draft.week_start, edits, answer.edits())
            except NewsletterError as exc:  # a mistyped id must not lose the week: ask again
                note = f"Not applied: {exc}"
                get_run_logger().warning(note)
                continue
            draft, edits, note = revision.draft, revision.edits, ""
            publish.draft(draft)
        if answer.approve:
            return draft
        if not answer.changes:
            return None
        if proof_to:
            send_proof(draft.number, proof_to, backend)
