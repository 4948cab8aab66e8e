"""`newsletter subscribers …`: one short function per command over services/subscribe.py;
the rules are in subscribers/."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.base import Context, progress
from newsletter.domain.subscriber import Status, clean_name
from newsletter.errors import SendError, SubscriberError
from newsletter.private_files import open_private
from newsletter.services import subscribe as subs
from newsletter.services import welcome as welcoming
from newsletter.services.subscribe import BATCH_SIZE

STATUS = click.Choice([s.value for s in Status])
STATUS_HELP = f"Only subscribers with this status: {', '.join(STATUS.choices)}."


@click.group()
def subscribers() -> None:
    """Manage the people who get the newsletter: add, import, list, export, unsubscribe, erase.

    Example: newsletter subscribers import contacts.csv
    """


@subscribers.command()
@click.argument("email")
@click.option("--name", metavar="NAME", help="Their name (updates a stored subscriber's name).")
@click.option(
    "--source", metavar="SOURCE", default="cli", show_default=True, help="Where they came from."
)
@click.option(
    "--welcome",
    is_flag=True,
    help="Also send them the welcome mail with the latest sent issue ([welcome] in "
    "newsletter.toml), unless they had one.",
)
@click.pass_obj
def add(obj: Context, email: str, name: str | None, source: str, welcome: bool) -> None:
    """Add someone as an active subscriber: you adding them is their consent.

    An address already stored keeps its status (an unsubscribed, bounced or complained
    person is not re-activated); a given --name replaces theirs. With --welcome they get the
    welcome mail with the latest sent issue, through the configured backend, once: a second
    --welcome sends nothing; one that failed is tried again.

    Example: newsletter subscribers add ada@example.org --name "Ada Lovelace" --welcome
    """
    added = subs.add(obj.app, email, name=name, source=source)
    click.echo(added.message)
    if welcome:
        done = welcoming.welcome(obj.app, added.subscriber.id)
        if done.outcome in (welcoming.Outcome.FAILED, welcoming.Outcome.UNKNOWN):
            hint = f"newsletter subscribers add {added.subscriber.email} --welcome tries again"
            raise SendError(
                done.message,
                email=added.subscriber.email,
                hint=hint if done.outcome is welcoming.Outcome.FAILED else "nothing to do",
            )
        click.echo(done.message)


@subscribers.command()
@click.argument("email")
@click.pass_obj
def unsubscribe(obj: Context, email: str) -> None:
    """Unsubscribe an address: it stays stored, and gets no more issues.

    Example: newsletter subscribers unsubscribe ada@example.org
    """
    sub, changed = subs.unsubscribe(obj.app, email)
    click.echo(f"unsubscribed {sub.email}" if changed else f"{sub.email} is already {sub.status}")


@subscribers.command()
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def remove(obj: Context, email: str, yes: bool) -> None:
    """Erase a person and their delivery history from the store (for erasure requests).

    To stop sending while keeping the record that they left, unsubscribe them instead.

    Example: newsletter subscribers remove ada@example.org --yes
    """
    found = subs.find(obj.app, email)
    if found is None:
        raise SubscriberError(f"no subscriber with the address {email.strip()}", email=email)
    if not yes:
        click.confirm(f"Erase {found.email} and their delivery history for good?", abort=True)
    erased = subs.remove(obj.app, found.email)
    click.echo(f"removed {found.email} and {erased} delivery rows")


@subscribers.command("list")
@click.option("--status", type=STATUS, metavar="STATUS", help=STATUS_HELP)
@click.option("--search", metavar="TEXT", help="Part of the address or name, any case.")
@click.option(
    "--limit",
    type=click.IntRange(1),
    metavar="N",
    default=50,
    show_default=True,
    help="At most this many.",
)
@click.pass_obj
def list_(obj: Context, status: str | None, search: str | None, limit: int) -> None:
    """List subscribers, oldest first: id, status, address, name, joined.

    Example: newsletter subscribers list --status active --search example.org --limit 20
    """
    found = subs.listed(
        obj.app, status=Status(status) if status else None, search=search, limit=limit
    )
    for sub in found:
        joined = f"{sub.confirmed_at:%Y-%m-%d}" if sub.confirmed_at else "-"
        name = clean_name(sub.name) or ""  # no terminal escapes from what a stranger typed
        click.echo(f"{sub.id:>7}  {sub.status:<12}  {sub.email}  {name}  {joined}".rstrip())
    click.echo(
        f"{len(found)} shown" + (" (--limit reached)" if len(found) == limit else ""), err=True
    )


@subscribers.command()
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    metavar="N",
    default=8,
    show_default=True,
    help="Weeks of history.",
)
@click.pass_obj
def stats(obj: Context, weeks: int) -> None:
    """Counts by status, then joins, leaves and list size per ISO week (UTC), newest last.

    Example: newsletter subscribers stats --weeks 12
    """
    found = subs.stats(obj.app, weeks=weeks)
    by_status = ", ".join(f"{n} {status}" for status, n in found.counts.items())
    click.echo(f"{found.total} subscribers: {by_status}")
    for week in found.weeks:
        click.echo(
            f"{week.label} (from {week.week.start}): +{week.joins} joined, -{week.leaves} left"
            f"{_reasons(week.left)}, {week.size} on the list"
        )


@subscribers.command()
@click.option("--status", type=STATUS, metavar="STATUS", help=STATUS_HELP)
@click.option(
    "--out",
    "out_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here, not to stdout.",
)
@click.pass_obj
def export(obj: Context, status: str | None, out_file: Path | None) -> None:
    """Write subscribers as CSV (UTF-8), streamed page by page, to stdout or --out.

    Columns: id, email, name, status, source, created_at, updated_at, confirmed_at,
    unsubscribed_at, attributes (JSON).

    Example: newsletter subscribers export --status active --out subscribers.csv
    """
    chosen = Status(status) if status else None
    if out_file is None:
        count = subs.export(obj.app, sys.stdout, status=chosen)
    else:
        with open_private(out_file) as file:  # the list's addresses: 0600
            count = subs.export(obj.app, file, status=chosen)
    click.echo(f"exported {count} subscribers" + (f" to {out_file}" if out_file else ""), err=True)


@subscribers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--resubscribe",
    is_flag=True,
    help="Re-activate people who unsubscribed, bounced or complained.",
)
@click.option(
    "--rejects",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV for the rows not imported, with a reason column (default: FILE.rejects.csv).",
)
@click.option(
    "--source", metavar="SOURCE", help="Recorded for new subscribers (default: import:FILE)."
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    metavar="N",
    default=BATCH_SIZE,
    show_default=True,
    help="Rows per transaction.",
)
@click.pass_obj
def import_(
    obj: Context,
    file: Path,
    resubscribe: bool,
    rejects: Path | None,
    source: str | None,
    batch_size: int,
) -> None:
    """Import subscribers from a CSV file with a header row (any delimiter, UTF-8 or Latin-1).

    New addresses become active; known ones get the file's name and extra columns; nobody
    who unsubscribed, bounced or complained is re-activated without --resubscribe. Bad rows
    go to the rejects CSV. Safe to rerun: rows already imported count as unchanged.

    Example: newsletter subscribers import contacts.csv --source webinar --rejects bad.csv
    """
    with progress("importing", file.stat().st_size, in_bytes=True) as bar:
        report = subs.import_file(
            obj.app,
            file,
            source=source,
            resubscribe=resubscribe,
            rejects=rejects,
            batch_size=batch_size,
            on_batch=lambda step: bar.show(step.bytes_read, f"{step.rows} rows"),
        )
    click.echo(report.summary)


def _reasons(left: dict[str, int]) -> str:
    return f" ({', '.join(f'{n} {why}' for why, n in sorted(left.items()))})" if left else ""
