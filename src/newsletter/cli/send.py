"""`newsletter send`: the issue to every active subscriber, exactly once (see docs/sending.md)."""

from __future__ import annotations

import datetime as dt

import click

from newsletter.app import BACKENDS
from newsletter.cli.base import Context, out, progress
from newsletter.domain.subject_test import label
from newsletter.domain.week import Week
from newsletter.services import send as sending
from newsletter.services import subject_test as subject_tests
from newsletter.services.send import DryRun, SendReport


@click.command()
@click.option(
    "--week",
    "week_day",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Any date in the issue's week.",
)
@click.option("--issue", "number", type=int, metavar="N", help="The issue number.")
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
@click.option(
    "--limit",
    type=click.IntRange(1),
    metavar="N",
    help="Send to at most N subscribers in this run.",
)
@click.option(
    "--test-subjects",
    is_flag=True,
    help="Send only the sample of newsletter.toml's [subject_test], each reader one of its subjects; a later send gives the rest the winner.",
)
@click.option(
    "--now",
    "skip_wait",
    is_flag=True,
    help="After a subject test's sample: choose the winner and send the rest before wait_hours are over.",
)
@click.pass_obj
def send(
    obj: Context,
    week_day: dt.datetime | None,
    number: int | None,
    backend: str | None,
    test_to: tuple[str, ...],
    dry_run: bool,
    limit: int | None,
    test_subjects: bool,
    skip_wait: bool,
) -> None:
    """Send an issue to every active subscriber not yet sent to.

    Name the issue with one of --week or --issue. An issue the editor approved (on the
    review page, or with newsletter review --approve) goes out exactly as approved; a draft
    nobody approved is refused while a weekly run waits for its approval, and always with
    [approval] required = true. Sending again for the same issue reaches only those not yet
    sent to; an interrupted send is settled and resumed. --test-to sends the editor's proof
    (with their review link) and records nothing. --test-subjects sends a subject test's
    sample; once its wait_hours are over, a send without it gives everyone else the winning
    subject.

    Example: newsletter send --week 2024-11-25 --backend sendgrid --test-to editor@example.org
    """
    if (week_day is None) == (number is None):
        raise click.UsageError("give exactly one of --week DATE or --issue N")
    name = sending.backend(obj.app, backend)  # refuses at once if its settings are missing
    week = Week.containing(week_day.date()) if week_day else None
    issue = sending.outgoing(obj.app, number=number, week=week)
    if test_to:
        sending.send_proof(obj.app, issue.number, test_to, name)
        out.print(f"proof of issue {issue.number} sent to {', '.join(test_to)} via {name}")
    elif dry_run:
        show_dry_run(sending.dry_run(obj.app, issue.number, name))
    elif test_subjects and not sample_phase(obj, issue.number, name, limit):
        return
    else:
        with progress("sending", issue.audience) as bar:
            report = sending.send(
                obj.app,
                issue.number,
                name,
                limit=limit,
                on_progress=bar.advance,
                skip_wait=skip_wait,
            )
        out.print(summary(report))
        decided = subject_tests.state(obj.app, issue.number).test
        if decided is not None and decided.decision is not None:
            who = "the rest" if decided.sample_size else "everyone"
            line = f"subject test: {decided.decision.summary}; {who} got «{decided.winner}»"
            out.print(line, markup=False)


def sample_phase(obj: Context, number: int, backend: str, limit: int | None) -> bool:
    """The sample's send and what comes next; True when the whole issue is to go now (too
    few readers for a test: everyone gets the first subject)."""
    sending.fix(obj.app, number)  # the sample goes out only as the whole issue would
    with progress("sending the sample", None) as bar:
        sample = subject_tests.send_sample(
            obj.app, number, backend, limit=limit, on_progress=bar.advance
        )
    test = sample.test
    if sample.report is not None:
        out.print(summary(sample.report))
    if test.decision is not None:  # too few readers (or decided before): the ordinary send
        return sample.report is None
    listed = "; ".join(f"{label(k)} «{s}»" for k, s in enumerate(test.subjects))
    out.print(
        f"subject test of issue {number}: a sample of {test.sample_size} in "
        f"{len(test.subjects)} subjects ({listed})",
        markup=False,
    )
    if sample.left or test.ready_at is None:
        out.print(f"  {sample.left} of the sample still queued: run --test-subjects again")
    else:
        out.print(
            f"  the rest gets the winner on {test.metric.value}: newsletter send --issue "
            f"{number} from {test.ready_at:%Y-%m-%d %H:%M} UTC"
        )
    return False


def show_dry_run(run: DryRun) -> None:
    out.print(f"dry run: issue {run.number} «{run.subject}» via {run.backend}")
    out.print(
        f"  from {run.from_name} <{run.from_email}>; {run.message_bytes / 1024:.0f} KiB per message"
    )
    out.print(
        f"  would send to {run.audience} subscribers in {run.batches} batches of up to {run.batch_size}"
    )
    for email in run.sample:
        out.print(f"  e.g. {email}")


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
