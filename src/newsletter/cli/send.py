"""`newsletter send`: the issue to every active subscriber, exactly once (see README)."""

from __future__ import annotations

import datetime as dt

import click

from newsletter.app import BACKENDS, default_backend, sender_for, sending
from newsletter.cli.base import Context, out, progress
from newsletter.delivery.message import Envelope
from newsletter.delivery.send import SendReport, load_issue, proof, send_issue
from newsletter.domain.week import Week
from newsletter.errors import SendError
from newsletter.store import Store, StoredIssue


@click.command()
@click.option(
    "--week", "week_day", type=click.DateTime(["%Y-%m-%d"]), help="Any date in the issue's week."
)
@click.option("--issue", "number", type=int, help="The issue number.")
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help="Default: sendgrid if SENDGRID_API_KEY is set, else smtp if SMTP_URL is, else outbox.",
)
@click.option(
    "--test-to",
    multiple=True,
    metavar="EMAIL",
    help="Send a proof to this address only (repeatable).",
)
@click.option(
    "--dry-run", is_flag=True, help="Do everything but the sending; print what would go out."
)
@click.option("--limit", type=click.IntRange(1), help="Send to at most N subscribers in this run.")
@click.pass_obj
def send(
    obj: Context,
    week_day: dt.datetime | None,
    number: int | None,
    backend: str | None,
    test_to: tuple[str, ...],
    dry_run: bool,
    limit: int | None,
) -> None:
    """Send an issue to every active subscriber not yet sent to.

    Sending again for the same issue reaches only those not yet sent to; an interrupted
    send is settled and resumed. --test-to sends the editor's proof and records nothing.

    Example: newsletter send --week 2024-11-25 --backend sendgrid --test-to editor@example.org
    """
    name = backend or default_backend(obj.settings)
    sender_for(obj.settings, name)  # refuse at once, before any lookup, if settings are missing
    with obj.store() as store:
        stored = _find_issue(store, week_day, number)
        with sending(obj.settings, stored, name) as (envelope, opened, token):
            if test_to:
                proof(envelope, opened, test_to, token)
                out.print(f"proof of issue {stored.number} sent to {', '.join(test_to)} via {name}")
            elif dry_run:
                _dry_run(store, envelope, name, opened.batch_size)
            else:
                with progress("sending", store.audience(stored.number)) as bar:
                    report = send_issue(
                        store, envelope, opened, token, limit=limit, on_progress=bar.advance
                    )
                out.print(summary(report))


def _find_issue(store: Store, week_day: dt.datetime | None, number: int | None) -> StoredIssue:
    if (week_day is None) == (number is None):
        raise click.UsageError("give exactly one of --week DATE or --issue N")
    if number is not None:
        return load_issue(store, number)
    assert week_day is not None
    week = Week.containing(week_day.date())
    found = store.issue_for_week(week.start)
    if found is None:
        raise SendError(
            f"no issue for the week of {week.start}",
            hint=f"build it: newsletter build --week {week.start}",
        )
    return found


def _dry_run(store: Store, envelope: Envelope, backend: str, batch_size: int) -> None:
    count = store.audience(envelope.issue_number)
    sample = store.sample_recipients(envelope.issue_number, 5)
    size = len(envelope.html.encode()) + len(envelope.text.encode())
    out.print(f"dry run: issue {envelope.issue_number} «{envelope.subject}» via {backend}")
    out.print(
        f"  from {envelope.sender.from_name} <{envelope.sender.from_email}>; {size / 1024:.0f} KiB per message"
    )
    out.print(
        f"  would send to {count} subscribers in {-(-count // batch_size)} batches of up to {batch_size}"
    )
    for r in sample:
        out.print(f"  e.g. {r.email}")


def summary(report: SendReport) -> str:
    line = (
        f"issue {report.issue_number} via {report.backend}: sent {report.sent}, failed {report.failed}, "
        f"skipped {report.skipped} in {report.seconds:.1f} s ({report.rate:,.0f}/s, {report.requests} requests, {report.concurrency} at once)"
    )
    if report.recovered:
        line += f"; {report.recovered} requeued from an interrupted send"
    if report.unknown:
        line += f"; {report.unknown} of an interrupted send may have gone out (kept as unknown, not resent)"
    if report.left:
        line += f"; {report.left} still queued (run again to continue)"
    return line
