"""The editor's review of a draft: the one place an edit, an approval and a dashboard answer
are made, for the review page, its JSON API, `newsletter review` and the paused run's form.

An edit applies to the stored draft as it is (issue/review.py: no backfill, nothing pushed
out), re-renders it and saves it as the next version, on the version the editor saw only;
a typo refuses only itself. What it changed is recorded as the editor's decisions. Approval
is of one version; if a weekly run is paused for the answer, approving resumes it through
the scheduler's API, and the run sends exactly that version (services/send.py checks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from newsletter.app import App
from newsletter.domain.review import Changes, Picks, Refusal, changes, decisions
from newsletter.domain.week import Week
from newsletter.errors import (
    IssueError,
    LockedDraftError,
    NewsletterError,
    StaleDraftError,
)
from newsletter.issue.assemble import issue_paper
from newsletter.issue.edits import Edits
from newsletter.issue.lookup import find_issue
from newsletter.issue.review import checked, incoming, preheader, revised
from newsletter.render.email import environment, render
from newsletter.scheduler import SchedulerError
from newsletter.selection.rules import section_taxonomy
from newsletter.services.draft_view import DraftView, view_of
from newsletter.store import Store, StoredIssue

__all__ = [
    "Answered",
    "Approved",
    "Edited",
    "answer",
    "approve",
    "difference",
    "draft_html",
    "edit",
    "exists",
    "number_of_week",
    "resumed",
    "view",
    "waiting",
]


@dataclass(frozen=True, slots=True)
class Edited:
    draft: DraftView  # as it is now
    applied: Changes  # what this round changed
    refused: tuple[Refusal, ...]  # what it did not, and why


@dataclass(frozen=True, slots=True)
class Approved:
    draft: DraftView
    resumed: bool  # a waiting weekly run goes on with this version: it sends it
    message: str  # what happens next, in a sentence


@dataclass(frozen=True, slots=True)
class Answered:
    """What a dashboard answer did: the draft now, whether it is approved to send, and what
    to tell the editor when they are asked again."""

    draft: DraftView
    approved: bool
    changed: bool
    note: str


def view(app: App, number: int) -> DraftView:
    """Issue `number` as the editor reviews it, now."""
    configured = tuple(s.name for s in section_taxonomy(app.editor()))
    with app.store() as store:
        stored = find_issue(store, number=number)
        return view_of(store, stored, configured, _now())


def exists(app: App, number: int) -> bool:
    with app.store() as store:
        return store.get_issue(number) is not None


def number_of_week(app: App, week: Week) -> int:
    with app.store() as store:
        return find_issue(store, week=week).number


def difference(app: App, number: int, seen: int) -> Changes:
    """What changed from version `seen` to the draft's current one."""
    with app.store() as store:
        stored = find_issue(store, number=number)
        before = store.revision_picks(number, seen)
    return changes(before or Picks(), stored.picks)


def edit(
    app: App,
    number: int,
    edits: Edits,
    refused: tuple[Refusal, ...] = (),
    *,
    seen: int | None = None,
    editor: str | None = None,
    source: str = "review",
) -> Edited:
    """The editor's round of edits on the draft as it is (`seen`: the version they looked at;
    a draft changed since is StaleDraftError, one being sent LockedDraftError, and nothing
    is applied). The edits that can apply make the next version; `refused` and the ones that
    cannot are named with why. The changes are kept for the models to learn from."""
    editor_config = app.editor()
    sections = section_taxonomy(editor_config)
    with app.store() as store:
        stored = _changeable(store, number, seen)
        fine, more = checked(edits, stored.record, sections)
        refused += more
        if fine == Edits():  # nothing left to apply: no new version
            return Edited(_view(app, store, number), Changes(), refused)
        papers = {}
        by_id = {c.arxiv_id: c for c in stored.record.candidates}
        for arxiv_id in incoming(fine, stored.record):
            paper = store.get_paper(arxiv_id)
            if paper is None:  # a candidate always is in the store, unless it was erased
                raise IssueError(f"{arxiv_id} is no longer in the store", issue=number)
            c = by_id[arxiv_id]
            papers[arxiv_id] = issue_paper(paper, "", c.score, c.why)
        week = Week.containing(stored.week_start)
        issue = revised(
            stored.record,
            fine,
            papers,
            sections,
            texts=editor_config.texts,
            promos=[p.promo() for p in editor_config.promos if p.enabled],
            last_listing=store.last_listed(week.start, week.end),
        )
        rendered = render(
            issue,
            environment(app.settings.templates),
            texts=editor_config.texts,
            preheader=preheader(editor_config.texts, issue),
        )
        record = rendered.record.model_copy(update={"candidates": stored.record.candidates})
        store.revise_draft(
            number,
            seen=stored.version,
            record=record,
            html=rendered.html,
            text=rendered.text,
            markdown=rendered.markdown,
            edits=fine.to_json(),
            source=source,
            editor=editor,
        )
        after = Picks.of(record)
        made, forget = decisions(stored.week_start, stored.picks, after, store.built_picks(number))
        store.record_review(made, forget)
        return Edited(_view(app, store, number), changes(stored.picks, after), refused)


def approve(app: App, number: int, *, version: int, editor: str | None) -> Approved:
    """Approve `version` of the draft (StaleDraftError if it changed since, LockedDraftError
    once sending started). A weekly run paused for the answer resumes with it and sends
    exactly this version; without one, `newsletter send` sends it."""
    with app.store() as store:
        store.approve_draft(number, version=version, editor=editor)
        stored = find_issue(store, number=number)
        run = stored.waiting(_now())
    go, message = (False, _send_it(stored)) if run is None else _resume(app, stored, run, version)
    return Approved(view(app, number), go, message)


def answer(
    app: App,
    number: int,
    edits: Edits,
    refused: tuple[Refusal, ...],
    *,
    approve_it: bool,
    seen: int | None,
    editor: str | None = None,
    run: str | None = None,
) -> Answered:
    """A dashboard answer, under the same rules as the page: the edits that can apply make a
    new version, a typo refuses only itself, a draft changed since the form was shown
    (`seen`) takes nothing, and only a draft the editor saw whole is approved. An answer
    without edits or approval asks again instead of cancelling: declining is its own word.
    `run`: the run that was waiting for it (it waits no more)."""
    if run is not None:
        resumed(app, number, run)
    try:
        current = view(app, number)
        if seen and seen != current.version:
            diff = difference(app, number, seen)
            return Answered(
                current,
                False,
                False,
                f"The draft changed since this form was shown (version {seen} → "
                f"{current.version}: {'; '.join(diff.lines()) or 'its text'}): nothing was "
                "applied. Here it is as it is now.",
            )
        changed, notes, typo = False, [], bool(refused)
        if edits != Edits() or refused:
            done = edit(
                app,
                number,
                edits,
                refused,
                seen=current.version,
                editor=editor,
                source="dashboard",
            )
            changed, typo = done.draft.version != current.version, bool(done.refused)
            current = done.draft
            if done.applied:
                notes.append("Applied: " + "; ".join(done.applied.lines()) + ".")
            if done.refused:
                notes.append("Not applied: " + "; ".join(str(r) for r in done.refused) + ".")
        if approve_it and not typo:
            approve(app, number, version=current.version, editor=editor)
            return Answered(view(app, number), True, changed, " ".join(notes))
        if approve_it:
            notes.append("Not sent: approve again once the issue is as you want it.")
        elif not changed and not notes:
            notes.append("Nothing was chosen: tick approve to send it, or decline to stop it.")
        return Answered(current, False, changed, " ".join(notes))
    except (StaleDraftError, LockedDraftError) as exc:
        return Answered(view(app, number), False, False, f"{exc}.")


def draft_html(app: App, number: int) -> tuple[str, int] | None:
    """The issue's HTML as it stands (a draft too), and its version; None if there is none."""
    with app.store() as store:
        stored = store.get_issue(number)
    return None if stored is None else (stored.html, stored.version)


def waiting(app: App, number: int, run_id: str, until: dt.datetime) -> None:
    """A scheduler's run is paused for the editor's answer on issue `number` until `until`:
    approving on the review page resumes it."""
    with app.store() as store:
        store.set_waiting(number, run_id, until)


def resumed(app: App, number: int | None, run_id: str) -> None:
    """That run is no longer waiting (answered, timed out; with `number` None: it ended,
    whatever it was waiting for)."""
    with app.store() as store:
        store.clear_waiting(number, run_id)


def _changeable(store: Store, number: int, seen: int | None) -> StoredIssue:
    stored = find_issue(store, number=number)
    if not stored.status.rebuildable:
        raise LockedDraftError(
            f"issue {number} is {stored.status}: it goes out as it is",
            issue=number,
            version=stored.version,
            status=stored.status,
        )
    if seen is not None and seen != stored.version:
        raise StaleDraftError(
            f"issue {number} changed since version {seen}: it is at version {stored.version}",
            issue=number,
            version=stored.version,
            status=stored.status,
        )
    return stored


def _view(app: App, store: Store, number: int) -> DraftView:
    configured = tuple(s.name for s in section_taxonomy(app.editor()))
    return view_of(store, find_issue(store, number=number), configured, _now())


def _resume(app: App, stored: StoredIssue, run: str, version: int) -> tuple[bool, str]:
    """The waiting run goes on with the editor's approval of `version`, if it can."""
    scheduler = app.scheduler()
    if scheduler is None:
        return False, (
            f"Approved version {version}. A weekly run is waiting for it, but this server "
            "cannot reach the scheduler (set NEWSLETTER_PREFECT_API_URL): resume that run "
            "in the dashboard with approve ticked, and it sends this version."
        )
    try:
        answer_ = scheduler.resume(run, {"approve": True, "version": version})
    except (SchedulerError, NewsletterError) as exc:
        return (
            False,
            f"Approved version {version}, but the waiting run could not be resumed: {exc}.",
        )
    if answer_.accepted:
        with app.store() as store:
            store.clear_waiting(stored.number, run)
        return True, f"Approved: the weekly run resumes and sends version {version} now."
    if answer_.gone:
        with app.store() as store:
            store.clear_waiting(stored.number, run)
        return False, (
            f"Approved version {version}; the weekly run is no longer waiting "
            f"({answer_.reason}). " + _send_it(stored)
        )
    return False, f"Approved version {version}, but the run refused the answer: {answer_.reason}."


def _send_it(stored: StoredIssue) -> str:
    return (
        f"Approved. No run is waiting for it: `newsletter send --week {stored.week_start}` "
        "sends this version."
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
