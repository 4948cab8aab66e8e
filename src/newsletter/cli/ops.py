"""`newsletter serve`, `backup` and `restore`: running it for real, and keeping its data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from newsletter.cli.base import Context, out
from newsletter.cli.web import listen_options, refuse_unsigned
from newsletter.ops.parts import plan
from newsletter.ops.supervisor import Supervisor
from newsletter.services import backup as backups


@click.command()
@listen_options
@click.option(
    "--prefect-server",
    is_flag=True,
    help="Also start a local Prefect server (its database in data/prefect/) when "
    "PREFECT_API_URL is not set.",
)
@click.option(
    "--prefect-port",
    default=4200,
    show_default=True,
    type=click.IntRange(1, 65535),
    metavar="N",
    help="The local Prefect server's port (its dashboard and API, on 127.0.0.1).",
)
@click.pass_obj
def serve(obj: Context, host: str, port: int, prefect_server: bool, prefect_port: int) -> None:
    """Run everything one machine needs, in the foreground, until stopped: the web app
    (`newsletter web`), the runner that serves the three deployments on their schedules
    (`newsletter-flows`) and, with --prefect-server, a local Prefect server.

    Run it from the settings folder. One log stream, each line prefixed by the part that
    wrote it; a part that dies is started again with backoff (1 s doubling to 60 s).
    SIGTERM or Ctrl-C stops the runner first (runs in progress are cancelled, schedules
    stay on), then the web app and the Prefect server, all within 15 s. Without
    --prefect-server, PREFECT_API_URL (environment or .env) names the server to use.

    Example: newsletter serve --prefect-server
    """
    refuse_unsigned(obj, host)
    revision = obj.app.migrate()  # once, before the parts (each would otherwise)
    folder = Path.cwd()
    found = plan(
        folder,
        os.environ,
        host=host,
        port=port,
        prefect_api_url=obj.settings.prefect_api_url,
        prefect_server=prefect_server,
        prefect_port=prefect_port,
    )
    supervisor = Supervisor(found.parts, cwd=folder, out=sys.stdout)
    supervisor.say(f"store {obj.app.where} at schema revision {revision}")
    for note in found.notes:
        supervisor.say(note)
    sys.exit(supervisor.run())


@click.command()
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it is there.")
@click.pass_obj
def backup(obj: Context, file: Path, force: bool) -> None:
    """Copy the whole store to FILE, consistent while everything runs: SQLite through its
    online backup API (FILE is an SQLite database), PostgreSQL through pg_dump (FILE is
    its custom format; pg_dump must be installed).

    The copy is its owner's only (0600). `newsletter restore FILE` puts it back.

    Example: newsletter backup backups/newsletter-$(date +%F).db
    """
    made = backups.backup(obj.app, file, replace=force)
    out.print(
        f"backed up {made.store} at schema revision {made.revision} to {made.path} "
        f"({made.size / 1e6:.1f} MB, {made.seconds:.1f} s)"
    )


@click.command()
@click.argument(
    "file", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.pass_obj
def restore(obj: Context, file: Path) -> None:
    """Restore a backup made by `newsletter backup` into an empty store (the one
    NEWSLETTER_DATABASE_URL names), then bring its schema up to date.

    The store must be empty (no tables, or only empty ones): nothing is ever overwritten.
    A backup made by a newer release (a schema this one does not know) is refused. After a
    restore in the middle of a send, `newsletter send` settles and finishes it.

    Example: NEWSLETTER_DATABASE_URL=sqlite:///data/newsletter.db newsletter restore backup.db
    """
    done = backups.restore(obj.app, file)
    out.print(
        f"restored {done.path} (schema revision {done.from_revision}) into {done.store}, "
        f"now at revision {done.revision}: {done.rows:,} rows"
    )
