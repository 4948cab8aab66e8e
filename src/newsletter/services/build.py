"""The week's issue: built from the store with the editor's edits, saved as a numbered draft
and written out as files; and the draft as a scheduler's dashboard shows it.

Every build reads the week's file `<overrides_dir>/<monday>.toml` beside newsletter.toml
first, then takes the caller's edits on top (the later word wins: issue/edits.py), and
nudges the score with the readers' recent clicks per section and votes on papers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.app import App
from newsletter.domain.issue import CandidateRecord, IssueStatus
from newsletter.domain.review import Changes, changes
from newsletter.domain.week import Week
from newsletter.engagement.interest import section_history
from newsletter.engagement.votes import vote_history
from newsletter.errors import ConfigError, IssueError, NewsletterError
from newsletter.issue.build import Built, build_issue, read_overrides, write_files
from newsletter.issue.edits import NO_EDITS, Edits
from newsletter.selection.rules import section_taxonomy
from newsletter.services.links import review_links
from newsletter.store import Store, StoredIssue

__all__ = [
    "Built",
    "Draft",
    "Pick",
    "Ranked",
    "TooFewCandidatesError",
    "build",
    "check_candidates",
    "draft_of",
    "prepare",
    "week_of",
]


class TooFewCandidatesError(NewsletterError):
    hint = "ingest the week (daily-ingest, or newsletter ingest --since … --until …), or lower [schedule] min_candidates"
    retryable = False


@dataclass(frozen=True, slots=True)
class Pick:
    number: str  # "1.2"
    arxiv_id: str
    title: str
    section: str


@dataclass(frozen=True, slots=True)
class Ranked:
    """One row of the dashboard's candidates table."""

    rank: int
    candidate: CandidateRecord
    picked: bool

    def row(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "rank": self.rank,
            "arxiv_id": c.arxiv_id,
            "title": c.title,
            "score": round(c.score, 3),
            "section": c.section,
            "picked": "yes" if self.picked else "",
            "why": c.why,
        }


@dataclass(frozen=True, slots=True)
class Draft:
    """A week's issue as the dashboard shows it; `locked` says why it may not change."""

    number: int
    week_start: dt.date
    title: str
    markdown: str
    picks: tuple[Pick, ...]
    candidates: tuple[Ranked, ...]
    audience: int  # active subscribers it has not reached yet
    html_path: Path | None = None
    locked: str | None = None  # "sent" / "sending started": built before, only sending is left
    version: int = 1  # the draft's version (one more with each build and each edit)
    status: str = "draft"  # draft | approved | sending | sent
    kept: str | None = None  # why it was not rebuilt though it could be: the editor shaped it
    since: Changes = Changes()  # since the last proof (or the build, before any proof)
    links: tuple[tuple[str, str], ...] = ()  # (editor, their review link)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.arxiv_id for p in self.picks)


def week_of(day: dt.date | None, today: dt.date) -> Week:
    """The week containing `day`; without one, the week that just ended."""
    return Week.containing(day) if day else Week.last_completed(today)


def build(app: App, week: Week, edits: Edits = NO_EDITS, *, out: Path | None = None) -> Built:
    """Build the week's issue, save it as a numbered draft and write its files (issue.html,
    .txt, .md, .json) to `out` (default out/<monday>/): `newsletter build` and the demo."""
    with app.store() as store:
        return _build(app, store, week, edits, out)


def prepare(app: App, week: Week, edits: Edits = NO_EDITS, *, out: Path | None = None) -> Draft:
    """The week's draft for a scheduler's run: built as `build` does, unless its sending has
    started (it comes back `locked`, so a second run for the week only finishes the send: the
    delivery ledger keeps it once) or the editor has shaped or approved it (it comes back
    `kept`: a rebuild would undo their word; `newsletter build` rebuilds it on purpose)."""
    edits.resolved(section_taxonomy(app.editor()))  # a section typo fails before anything
    with app.store() as store:
        stored = store.issue_for_week(week.start)
        if stored is not None and (
            not stored.status.rebuildable or store.delivery_counts(stored.number)
        ):
            reason = "sent" if stored.status is IssueStatus.SENT else "sending started"
            return _draft(store, stored, locked=reason)
        if stored is not None and (stored.edited or stored.status is IssueStatus.APPROVED):
            how = "approved" if stored.status is IssueStatus.APPROVED else "changed"
            kept = f"the editor {how} version {stored.version}: kept as it is, not rebuilt"
            return _linked(app, _draft(store, stored, kept=kept))
        built = _build(app, store, week, edits, out)
        fresh = store.get_issue(built.issue.number)
        assert fresh is not None  # _build saved it
        found = _draft(store, fresh, html=built.files["html"].resolve())
    return _linked(app, found)


def check_candidates(draft: Draft, minimum: int) -> None:
    """TooFewCandidatesError for a week too thin to send (a locked issue went out already)."""
    found = len(draft.candidates)
    if not draft.locked and found < minimum:
        raise TooFewCandidatesError(
            f"only {found} candidate papers for the week of {draft.week_start} "
            f"(at least {minimum} wanted); issue {draft.number} was not sent"
        )


def _build(app: App, store: Store, week: Week, edits: Edits, out: Path | None) -> Built:
    editor = app.editor()
    weeks_file = read_overrides(app.settings.config.parent / editor.overrides_dir, week)
    built = build_issue(
        store,
        editor,
        week,
        templates=app.settings.templates,
        edits=weeks_file.then(edits),
        history=section_history(store),
        votes=vote_history(store),
    )
    files = write_files(built, out or Path("out") / week.start.isoformat())
    return dataclasses.replace(built, files=files)


def draft_of(app: App, number: int) -> Draft:
    """Issue `number` as the dashboard shows it, now."""
    with app.store() as store:
        stored = store.get_issue(number)
        if stored is None:
            raise IssueError(f"there is no issue {number}", issue=number)
        found = _draft(store, stored)
    return _linked(app, found)


def _linked(app: App, draft: Draft) -> Draft:
    """The draft with each editor's review link (none when links cannot be signed here)."""
    try:
        found = tuple(review_links(app, draft.number).items())
    except ConfigError:
        found = ()
    return dataclasses.replace(draft, links=found)


def _draft(
    store: Store,
    stored: StoredIssue,
    *,
    html: Path | None = None,
    locked: str | None = None,
    kept: str | None = None,
) -> Draft:
    record = stored.record
    picks = tuple(Pick(p.number, p.arxiv_id, p.title, s.name) for s, p in record.picks)
    chosen = {p.arxiv_id for p in picks}
    ranked = tuple(
        Ranked(rank, c, c.arxiv_id in chosen) for rank, c in enumerate(record.candidates, 1)
    )
    proofed = store.revision_picks(stored.number, stored.proofed_version or stored.version)
    return Draft(
        number=stored.number,
        week_start=stored.week_start,
        title=stored.title,
        markdown=stored.markdown,
        picks=picks,
        candidates=ranked,
        audience=store.audience(stored.number),
        html_path=html,
        locked=locked,
        version=stored.version,
        status=stored.status.value,
        kept=kept,
        since=changes(proofed, stored.picks) if proofed else Changes(),
    )
