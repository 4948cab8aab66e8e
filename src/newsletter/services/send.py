"""An issue out: to every active subscriber not yet sent to (exactly once, through the
delivery ledger), as a proof to a few addresses (recorded nowhere), or as a dry run that
says what would go out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from newsletter.app import App
from newsletter.config import EditorConfig
from newsletter.delivery.send import SendReport, proof, send_issue
from newsletter.domain.subscriber import normalise_email
from newsletter.domain.week import Week
from newsletter.issue.lookup import find_issue
from newsletter.services import subject_test

__all__ = [
    "DryRun",
    "Outgoing",
    "SendReport",
    "audience",
    "backend",
    "dry_run",
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
    skip_wait: bool = False,
) -> SendReport:
    """Send issue `number` to every active subscriber it has not reached, at most `limit` in
    this run: an interrupted send is settled first, and nobody gets it twice. An issue with
    a subject test sends its rest with the winner, once the test's wait is over (or at once
    with `skip_wait`): see services/subject_test.py."""
    with app.store() as store:
        stored = find_issue(store, number=number)
        test = subject_test.for_rest(store, number, skip_wait=skip_wait)
        with app.sending(stored, backend) as (envelope, opened, token):
            if test is not None:
                envelope = subject_test.with_subjects(envelope, test)
            return send_issue(store, envelope, opened, token, limit=limit, on_progress=on_progress)


def send_proof(app: App, number: int, addresses: Sequence[str], backend: str | None = None) -> int:
    """The proof of issue `number` to these addresses only; the ledger records nothing."""
    with app.store() as store:
        stored = find_issue(store, number=number)
    with app.sending(stored, backend) as (envelope, opened, token):
        return proof(envelope, opened, addresses, token)


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
