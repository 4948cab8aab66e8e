"""The weekly issue as steps a scheduler runs one by one: catch up, build, proof, send.

Every step takes the settings and plain values and gives plain data back, so a workflow
engine (`flows/`, Prefect) can wrap each one as a task, retry it and show what it made,
without holding the library's objects. Nothing here imports Prefect. What the dashboard
shows of each step is in reports.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter import app
from newsletter.config import EditorConfig, Settings, load_editor_config
from newsletter.delivery.send import SendReport, load_issue, proof, send_issue
from newsletter.domain.issue import CandidateRecord, IssueStatus
from newsletter.domain.learning import Action, Decision
from newsletter.domain.papers import FeedReport, FeedSpec
from newsletter.domain.subscriber import normalise_email
from newsletter.domain.week import Week
from newsletter.engagement.interest import section_history
from newsletter.errors import ConfigError, IngestError, NewsletterError
from newsletter.feeds.ingest import ingest
from newsletter.issue.build import build_week
from newsletter.issue.edits import NO_EDITS, Edits
from newsletter.selection.rules import section_taxonomy
from newsletter.selection.training import train_and_save
from newsletter.store import Store, StoredIssue


class TooFewCandidatesError(NewsletterError):
    hint = "ingest the week (daily-ingest, or newsletter ingest --since … --until …), or lower [schedule] min_candidates"


class NotApprovedError(NewsletterError):
    hint = "start the weekly-issue run again to send it; nothing went to subscribers"


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

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.arxiv_id for p in self.picks)


def week_of(day: dt.date | None, today: dt.date) -> Week:
    """The week containing `day`; without one, the week that just ended."""
    return Week.containing(day) if day else Week.last_completed(today)


def upgrade_store(settings: Settings) -> str:
    """The explicit migration step a run starts with; the schema revision it left."""
    return app.migrate(settings)


def feed_names(settings: Settings) -> list[str]:
    return [f.name for f in load_editor_config(settings.config).feeds]


def ingest_feed(settings: Settings, name: str, since: dt.date, until: dt.date) -> FeedReport:
    """Ingest one configured feed; raises IngestError if it gave nothing.

    The fetcher has already retried it within NEWSLETTER_HTTP_RETRY_BUDGET: a scheduler
    should not retry that error again (it would multiply the wait for a dead feed).
    """
    spec = _feed(load_editor_config(settings.config), name)
    with app.open_store(settings) as store, app.fetcher(settings) as fetch:
        # one feed per task already runs beside the others: no threads or processes of its own
        (report,) = ingest(
            [spec], store, since=since, until=until, fetcher=fetch, threads=1, processes=1
        )
    if report.error:
        raise IngestError(f"feed {name}: {report.error}")
    return report


def prepare(
    settings: Settings, week: Week, edits: Edits = NO_EDITS, *, out: Path = Path("out")
) -> Draft:
    """Build the week's issue (the week's overrides file, then `edits`) and write its files.

    An issue whose sending has started is never rebuilt: it comes back `locked`, so a
    second run for the week only finishes the send (the delivery ledger keeps it once).
    """
    editor = load_editor_config(settings.config)
    edits.resolved(section_taxonomy(editor))  # a section typo fails before anything is built
    with app.open_store(settings) as store:
        stored = store.issue_for_week(week.start)
        if stored is not None and (
            stored.status is not IssueStatus.DRAFT or store.delivery_counts(stored.number)
        ):
            reason = "sent" if stored.status is not IssueStatus.DRAFT else "sending started"
            return _draft(store, stored, locked=reason)
        _, files = build_week(
            store,
            editor,
            week,
            templates=settings.templates,
            config_dir=settings.config.parent,
            out=out / week.start.isoformat(),
            edits=edits,
            history=section_history(store),
        )
        fresh = store.issue_for_week(week.start)
        assert fresh is not None  # build_week saved it
        return _draft(store, fresh, html=files["html"].resolve())


def record_edits(settings: Settings, week_start: dt.date, before: Edits, after: Edits) -> int:
    """The editor's approval edits, kept to learn from: papers added (a strong yes), removed
    (a strong no) and moved (a section label). How many were recorded."""
    added = [i for i in after.add if i not in before.add]
    removed = [i for i in after.remove if i not in before.remove]
    moved = [(i, s) for i, s in after.move if (i, s) not in before.move]
    decisions = [
        Decision(week_start, i, Action.ADDED, dict(after.move).get(i), "approval") for i in added
    ]
    decisions += [Decision(week_start, i, Action.REMOVED, None, "approval") for i in removed]
    decisions += [Decision(week_start, i, Action.MOVED, s, "approval") for i, s in moved]
    with app.open_store(settings) as store:
        store.record_decisions(decisions)
    return len(decisions)


def learn_from_issue(settings: Settings, number: int) -> str:
    """After a send: the issue's picks (after any edits) and the candidates left out become
    examples, and the models retrain; the new model's label."""
    editor = load_editor_config(settings.config)
    with app.open_store(settings) as store:
        record = load_issue(store, number).record
        picked = {p.arxiv_id for _, p in record.picks}
        decisions = [
            Decision(record.week_start, p.arxiv_id, Action.PICKED, s.name, "sent")
            for s, p in record.picks
        ]
        decisions += [
            Decision(record.week_start, c.arxiv_id, Action.LEFT_OUT, None, "sent")
            for c in record.candidates
            if c.arxiv_id not in picked
        ]
        store.record_decisions(decisions, replace_source=True)  # a week sent again counts once
        return train_and_save(store, section_taxonomy(editor)).label


def check_candidates(draft: Draft, minimum: int) -> None:
    found = len(draft.candidates)
    if not draft.locked and found < minimum:
        raise TooFewCandidatesError(
            f"only {found} candidate papers for the week of {draft.week_start} "
            f"(at least {minimum} wanted); issue {draft.number} was not sent"
        )


def proof_recipients(editor: EditorConfig, test_to: Iterable[str]) -> tuple[str, ...]:
    """The run's test addresses and the editors, each once."""
    unique: dict[str, str] = {}
    for address in (*test_to, *editor.approval.editors):
        if address.strip():
            clean = normalise_email(address)
            unique.setdefault(clean.lower(), clean)
    return tuple(unique.values())


def send_proofs(
    settings: Settings, number: int, addresses: Sequence[str], backend: str | None = None
) -> int:
    """The proof of issue `number` to these addresses only; the ledger records nothing."""
    with app.open_store(settings) as store:
        stored = load_issue(store, number)
    with app.sending(settings, stored, backend) as (envelope, opened, token):
        return proof(envelope, opened, addresses, token)


def deliver(settings: Settings, number: int, backend: str | None = None) -> SendReport:
    """Send issue `number` to every active subscriber it has not reached: at most once each."""
    with (
        app.open_store(settings) as store,
        app.sending(settings, load_issue(store, number), backend) as (envelope, opened, token),
    ):
        return send_issue(store, envelope, opened, token)


def audience(settings: Settings, number: int) -> int:
    with app.open_store(settings) as store:
        return store.audience(number)


def _feed(editor: EditorConfig, name: str) -> FeedSpec:
    for spec in editor.feed_specs():
        if spec.name == name:
            return spec
    known = ", ".join(f.name for f in editor.feeds) or "none"
    raise ConfigError(f"no feed named {name} (known: {known})")


def _draft(
    store: Store, stored: StoredIssue, *, html: Path | None = None, locked: str | None = None
) -> Draft:
    record = stored.record
    picks = tuple(Pick(p.number, p.arxiv_id, p.title, s.name) for s, p in record.picks)
    chosen = {p.arxiv_id for p in picks}
    ranked = tuple(
        Ranked(rank, c, c.arxiv_id in chosen) for rank, c in enumerate(record.candidates, 1)
    )
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
    )
