"""weekly-issue: catch up, build, preview, proof, the editor's approval, send, report."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.states import Cancelled, Completed

from newsletter.config import EditorConfig
from newsletter.errors import DraftError
from newsletter.issue.edits import Edits
from newsletter.services.build import Draft, check_candidates, week_of
from newsletter.services.send import proof_recipients

from . import publish, subject_test
from .approval import ask, run_id
from .notify import tell_editors
from .settings import editor_config, today
from .tasks import (
    answer_issue,
    audience,
    build_issue,
    draft_of,
    fix_issue,
    ingest_all,
    learn_from_issue,
    previous_report,
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
        require_approval: Pause for the editor's answer (review page or dashboard) before sending.
        dry_run: Build and preview only; no mail goes out, no proof either.
        backend: sendgrid, smtp or outbox (default: sendgrid if a key is set, else smtp, else outbox).
    """
    config = editor_config()
    target = week_of(week, today(config.schedule.timezone))
    upgrade_store()
    ingest_all(target.start, target.end)  # catch up; a failing feed only leaves a gap
    draft = build_issue(target.start, Edits.typed(add=include, remove=exclude, size=size))
    if draft.kept:
        get_run_logger().info("issue %s: %s", draft.number, draft.kept)
    check_candidates(draft, config.schedule.min_candidates)
    publish.draft(draft)
    if dry_run:
        why = f"Dry run: it would go to {audience(draft.number)} subscribers."
        publish.unsent(draft, why)
        return Completed(message=why)
    if draft.locked:  # a send already started was approved then: only finish it
        version = None
    elif require_approval and draft.status == "approved":  # approved before this run started
        version = draft.version
        fix_issue(draft.number, version)
    elif not require_approval:
        proof_to = proof_recipients(config, test_to)
        if proof_to:
            send_proof(draft.number, proof_to, backend)
        version = None
        fix_issue(draft.number, version)
    else:
        answer = approved(draft, config, proof_recipients(config, test_to), backend)
        if answer is None:
            publish.unsent(draft, "The editor declined it.")
            return Cancelled(
                message=f"issue {draft.number} declined by the editor: nothing was sent"
            )
        draft, version = answer, answer.version
    # Fixed from here on (sending): the subject test's sample and the send take exactly it.
    waiting = subject_test.before_send(draft, config, backend)
    if waiting is not None:  # the sample is out; the rest is a run of its own, scheduled
        return waiting
    report = send_issue(draft.number, backend, version)
    publish.report(report, previous_report(draft.number))
    subject_test.after_send(draft.number, backend)
    model = learn_from_issue(draft.number)  # the issue as sent, and the edits, teach the next
    return Completed(
        message=f"issue {report.issue_number}: sent {report.sent}, failed {report.failed}, "
        f"skipped {report.skipped}; model now {model}"
    )


def approved(
    draft: Draft, config: EditorConfig, proof_to: tuple[str, ...], backend: str | None
) -> Draft | None:
    """Proof, then ask until the editor approves a version (the draft fixed at exactly that
    one, to be sent) or declines (None). Each round's edits make a new version, are kept for
    the models and publish a new preview; without approval a new proof goes out and the
    editor is asked again, told what was applied and what was not."""
    if proof_to:
        send_proof(draft.number, proof_to, backend)
    note = ""
    while True:
        if draft.status != "approved":  # else: on the review page, while this run was busy
            answer = ask(draft, config.approval, note)
            if answer.decline:
                return None
            edits, refused = answer.edits()
            outcome = answer_issue(
                draft.number, edits, refused, answer.approve, answer.version, run_id()
            )
            note = outcome.note
            if note:
                get_run_logger().info("issue %s: %s", draft.number, note)
            draft = draft_of(draft.number)
            if outcome.changed:
                publish.draft(draft)
            if not outcome.approved:
                if outcome.changed and proof_to:
                    send_proof(draft.number, proof_to, backend)
                continue
        try:
            fix_issue(draft.number, draft.version)
            return draft
        except DraftError as exc:  # changed after approval: nothing went out; ask again
            note = f"Not sent: {exc}"
            draft = draft_of(draft.number)
