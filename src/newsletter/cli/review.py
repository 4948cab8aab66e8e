"""`newsletter review`: the week's draft, its review link, and the editor's edits and approval
from the command line, through the same service as the review page."""

from __future__ import annotations

import datetime as dt

import click

from newsletter.cli.base import Context, edit_options, out
from newsletter.domain.week import Week
from newsletter.errors import ConfigError
from newsletter.issue.edits import Edits
from newsletter.services import links
from newsletter.services import review as reviewing
from newsletter.services.draft_view import DraftView


@click.command()
@click.option(
    "--week",
    "week_day",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="DATE",
    help="Any date in the issue's week.",
)
@click.option("--editor", metavar="EMAIL", help="Print this editor's link only.")
@click.option("--add", multiple=True, metavar="ID", help="Put this candidate in (repeatable).")
@click.option("--remove", multiple=True, metavar="ID", help="Take this paper out (repeatable).")
@edit_options
@click.option(
    "--approve",
    "approve_version",
    type=click.IntRange(1),
    metavar="VERSION",
    help="Approve this version (the one printed): the one that is sent.",
)
@click.pass_obj
def review(
    obj: Context,
    week_day: dt.datetime,
    editor: str | None,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    move: tuple[str, ...],
    order: tuple[str, ...],
    note: str | None,
    approve_version: int | None,
) -> None:
    """Show the week's draft and print each editor's review link.

    The link opens the review page (`newsletter web` serves it): the issue as it will go
    out, every candidate, and one click to take a paper out, put one in or move it. It is
    signed for one issue and one editor ([approval] editors) and works for
    [approval] timeout_hours. The options make the same edits here: nothing is added or
    removed that you did not name (a removal leaves the issue one shorter), a typo refuses
    only itself, and --approve approves the version you name, as the page's button does.

    Example: newsletter review --week 2024-11-25 --remove 2411.17116 --move "2411.14405 to LLM Reasoning"
    """
    app = obj.app
    number = reviewing.number_of_week(app, Week.containing(week_day.date()))
    edits, refused = Edits.typed_leniently(
        add=add, remove=remove, move=move, order=order, note=note
    )
    if edits != Edits() or refused:
        done = reviewing.edit(app, number, edits, refused, editor=editor, source="cli")
        for line in done.applied.lines():
            out.print(f"applied: {line}")
        for refusal in done.refused:
            out.print(f"not applied: {refusal}")
    draft = reviewing.view(app, number)
    show(draft)
    if approve_version is not None:
        out.print(reviewing.approve(app, number, version=approve_version, editor=editor).message)
    shown = links.review_links(app, number)
    if editor:
        shown = {editor: links.review_link(app, number, editor)}
    if not shown:
        raise ConfigError(
            "no review link: newsletter.toml names no [approval] editors",
            hint='add your address: [approval] editors = ["you@example.org"]',
        )
    for who, link in shown.items():
        out.print(f"review link for {who}: {link}")


def show(d: DraftView) -> None:
    out.print(
        f"issue {d.number} «{d.title}» ({d.status.value}, version {d.version}): "
        f"{d.paper_count} papers in {len(d.sections)} sections; "
        f"since the proof: {d.since_proof.summary()}"
    )
    for s in d.sections:
        for p in s.papers:
            mark = {"added": " (new)", "moved": f" (moved from {p.moved_from})"}.get(
                p.change or "", ""
            )
            out.print(f"  {p.number} {p.arxiv_id} {p.title} [{s.name}]{mark}", markup=False)
    for c in d.suggestions:
        out.print(f"  next in the ranking: {c.arxiv_id} {c.title} [{c.section}]", markup=False)
