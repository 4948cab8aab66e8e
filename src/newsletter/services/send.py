"""An issue out: to every active subscriber not yet sent to (exactly once, through the
delivery ledger), as a proof to a few addresses (recorded nowhere but as the version the
editor's changes are shown against), or as a dry run that says what would go out.

A send fixes the issue first (it moves to sending, so no edit lands after), and only then
reads what goes out: the approved version, when there is one or when one is required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from newsletter.app import App
from newsletter.config import EditorConfig
from newsletter.delivery.message import Envelope
from newsletter.delivery.send import SendReport, proof, send_issue
from newsletter.domain.issue import IssueStatus
from newsletter.domain.subscriber import normalise_email
from newsletter.domain.week import Week
from newsletter.errors import NotApprovedError
from newsletter.issue.lookup import find_issue
from newsletter.render.proof import proof_html, proof_text
from newsletter.services import links, subject_test
from newsletter.store import Store, StoredIssue

__all__ = [
    "DryRun",
    "Outgoing",
    "SendReport",
    "audience",
    "backend",
    "dry_run",
    "fix",
    "outgoing",
    "proof_recipients",
    "send",
    "send_proof",
    "sent_to",
]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """The issue a send is about: which, and how many it would reach now."""

    number: int
    title: str
    audience: int


@dataclass(frozen=True, slots=True)
class DryRun:
    """What a send would do, sending nothing."""

    number: int
    subject: str
    backend: str
    from_name: str
    from_email: str
    message_bytes: int  # HTML and text of one message
    audience: int
    batch_size: int
    sample: tuple[str, ...]  # the first addresses it would reach

    @property
    def batches(self) -> int:
        return -(-self.audience // self.batch_size)


def backend(app: App, name: str | None = None) -> str:
    """The backend to send with (default: SendGrid with a key, else SMTP with a URL, else the
    outbox), its settings checked: ConfigError before any issue is looked up."""
    return app.backend(name)


def outgoing(app: App, *, number: int | None = None, week: Week | None = None) -> Outgoing:
    """Issue `number`, or the issue of `week`; IssueError when there is none."""
    with app.store() as store:
        found = find_issue(store, number=number, week=week)
        return Outgoing(found.number, found.title, store.audience(found.number))


def audience(app: App, number: int) -> int:
    """How many a send of issue `number` would reach now."""
    with app.store() as store:
        return store.audience(number)


def sent_to(app: App, number: int) -> list[tuple[int, str]]:
    """(subscriber id, address) of everyone issue `number` was sent to, by id."""
    with app.store() as store:
        return store.sent_to(number)


def send(
    app: App,
    number: int,
    backend: str | None = None,
    *,
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    approved: int | None = None,
    require_approval: bool | None = None,
    skip_wait: bool = False,
) -> SendReport:
    """Send issue `number` to every active subscriber it has not reached, at most `limit` in
    this run: an interrupted send is settled first, and nobody gets it twice.

    What goes out is fixed first: `approved`, the version the editor approved, and nothing
    else (NotApprovedError if the draft is not at it, approved); without one, an approved
    draft goes out as approved, and a draft the editor has not approved when no approval
    is required (`require_approval`, default `[approval] required`) and no run is waiting
    for it, or when `require_approval` is False (a run started without approval). An issue
    with a subject test sends its rest with the winner, once the test's wait is over (or at
    once with `skip_wait`): see services/subject_test.py."""
    with app.store() as store:
        _fix(app, store, find_issue(store, number=number), approved, require_approval)
        stored = find_issue(store, number=number)  # as fixed: no edit lands from here on
        test = subject_test.for_rest(store, number, skip_wait=skip_wait)
        with app.sending(stored, backend) as (envelope, opened, token):
            if test is not None:
                envelope = subject_test.with_subjects(envelope, test)
            return send_issue(store, envelope, opened, token, limit=limit, on_progress=on_progress)


def fix(
    app: App, number: int, *, approved: int | None = None, require_approval: bool | None = None
) -> None:
    """Issue `number` fixed for sending, as `send` fixes it, before anything goes out (a
    subject test's sample is the first of its send): NotApprovedError, StaleDraftError as
    `send` raises them; nothing to do once its sending has started."""
    with app.store() as store:
        _fix(app, store, find_issue(store, number=number), approved, require_approval)


def _fix(
    app: App, store: Store, stored: StoredIssue, approved: int | None, require: bool | None
) -> None:
    if not stored.status.rebuildable:
        return  # its sending started: only finishing it is left
    if approved is None and stored.status is IssueStatus.APPROVED:
        approved = stored.version
    if approved is None and require is not False:  # False: the caller sends the draft as is
        required = app.approval().required if require is None else require
        run = stored.waiting(dt.datetime.now(dt.UTC))
        why = (
            f"a weekly run is waiting for the editor's approval of issue {stored.number}"
            if run
            else f"issue {stored.number} is not approved ([approval] required)"
            if required
            else None
        )
        if why:
            raise NotApprovedError(
                f"{why}: nothing was sent",
                issue=stored.number,
                version=stored.version,
                status=stored.status,
                hint=f"approve it on the review page (newsletter review --week {stored.week_start})",
            )
    store.start_sending(stored.number, approved=approved)


def send_proof(app: App, number: int, addresses: Sequence[str], backend: str | None = None) -> int:
    """The proof of issue `number` to these addresses only (the ledger records nothing): a
    banner says it is a proof, an editor's carries their review link as its first button,
    "View in browser" opens the draft's preview, and its unsubscribe link a page saying it
    is a proof. Changes are shown against this version from now on."""
    with app.store() as store:
        stored = find_issue(store, number=number)
    reviewers = {e.casefold() for e in links.editors(app)}
    preview, away = links.preview_link(app, number), links.proof_page(app)
    sent = 0
    with app.sending(stored, backend) as (_, opened, token):
        sender, _ = app.sender(opened.name)
        for address in addresses:
            review = (
                links.review_link(app, number, address)
                if address.strip().casefold() in reviewers
                else None
            )
            version = stored.version
            envelope = Envelope(
                number,
                stored.title,
                proof_html(
                    stored.html, number=number, version=version, preview=preview, review=review
                ),
                proof_text(
                    stored.text, number=number, version=version, preview=preview, review=review
                ),
                sender,
            )
            sent += proof(envelope, opened, [address], token, unsubscribe_url=away)
    with app.store() as store:
        store.mark_proofed(number, stored.version)
    return sent


def dry_run(app: App, number: int, backend: str | None = None, *, sample: int = 5) -> DryRun:
    with app.store() as store:
        stored = find_issue(store, number=number)
        count = store.audience(number)
        first = store.sample_recipients(number, sample)
        with app.sending(stored, backend) as (envelope, opened, _):
            return DryRun(
                number=number,
                subject=envelope.subject,
                backend=opened.name,
                from_name=envelope.sender.from_name,
                from_email=envelope.sender.from_email,
                message_bytes=len(envelope.html.encode()) + len(envelope.text.encode()),
                audience=count,
                batch_size=opened.batch_size,
                sample=tuple(r.email for r in first),
            )


def proof_recipients(editor: EditorConfig, test_to: Iterable[str]) -> tuple[str, ...]:
    """The run's test addresses and the editors, each once."""
    unique: dict[str, str] = {}
    for address in (*test_to, *editor.approval.editors):
        if address.strip():
            clean = normalise_email(address)
            unique.setdefault(clean.lower(), clean)
    return tuple(unique.values())
