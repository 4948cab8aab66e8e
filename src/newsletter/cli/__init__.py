"""The `newsletter` command: a thin shell over the library. One module per command group,
one short function per command, its docstring its help (docs/commands.md is generated from
them by docs/gen_commands.py).

    papers.py       ingest, build, classify
    review.py       review
    learning.py     train, learn
    report.py       report, fold-events
    send.py         send
    subscribers.py  subscribers add | unsubscribe | remove | list | stats | export | import
    web.py          web
    ops.py          serve, backup, restore
    setup.py        init, demo, db upgrade
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from newsletter.cli.base import Context, err
from newsletter.cli.learning import learn, train
from newsletter.cli.ops import backup, restore, serve
from newsletter.cli.papers import build, classify, ingest
from newsletter.cli.report import fold_events, report
from newsletter.cli.review import review
from newsletter.cli.send import send
from newsletter.cli.setup import db, demo, init
from newsletter.cli.subscribers import subscribers
from newsletter.cli.web import web
from newsletter.errors import NewsletterError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The editor's settings file (default: $NEWSLETTER_CONFIG or newsletter.toml).",
)
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """Weekly newsletter of the most important LLM papers: ingest, build, send."""
    if ctx.invoked_subcommand != "init":  # init writes the settings: there are none to read yet
        ctx.obj = Context(config)


# In the order of the command reference (docs/commands.md, generated from these).
for command in (
    init,
    ingest,
    build,
    review,
    classify,
    demo,
    train,
    learn,
    report,
    fold_events,
    send,
    subscribers,
    web,
    serve,
    db,
    backup,
    restore,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: a NewsletterError becomes one line and a hint, exit status 1."""
    try:
        cli.main(args=argv, prog_name="newsletter", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except NewsletterError as exc:
        err.print(f"error: {exc}", markup=False)
        if exc.hint:
            err.print(f"hint: {exc.hint}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
