"""The weekly issue as steps a scheduler runs one by one: catch up, build, proof, send.

Every step takes the settings and plain values and gives plain data back, so a workflow
engine (`flows/`, Prefect) can wrap each one as a task, retry it and show what it made,
without holding the library's objects. Nothing here imports Prefect.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from newsletter import feeds
from newsletter.arxiv_ids import arxiv_id_from
from newsletter.build import Overrides, build_issue, read_overrides, write_files
from newsletter.config import EditorialConfig, Settings, load_editorial
from newsletter.delivery import sending
from newsletter.delivery.send import SendReport, load_issue, proof, send_issue
from newsletter.errors import ConfigError, IngestError, NewsletterError
from newsletter.fetch import Fetcher
from newsletter.ingest import read_feed, store_feed
from newsletter.models import FeedReport, FeedSpec, ParseResult, SourceKind
from newsletter.store import Store, StoredIssue
from newsletter.store.issues import DRAFT
from newsletter.subscribers import normalise_email
from newsletter.week import Week

# Feeds are ingested in parallel threads, but opening a store runs Alembic, whose context
# is module-global: threads open their stores one at a time.
_STORE_TURN = threading.Lock()


class TooFewCandidatesError(NewsletterError):
    hint = "ingest the week (daily-ingest, or newsletter ingest --since … --until …), or lower [schedule] min_candidates"


class NotApprovedError(NewsletterError):
    hint = "start the weekly-issue run again to send it; nothing went to subscribers"


@dataclass(frozen=True, slots=True)
class Edits:
    """The editor's changes to a week's picks: from the run's form and the approval."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    size: int | None = None

    def overrides(self) -> Overrides:
        return Overrides(include=self.include, exclude=self.exclude, size=self.size)

    def revised(self, add: Iterable[str], remove: Iterable[str]) -> Edits:
        """Papers to add and to remove; the later word wins over an earlier one."""
        added, removed = arxiv_ids(add), arxiv_ids(remove)
        include = tuple(i for i in dict.fromkeys(self.include + added) if i not in removed)
        exclude = tuple(i for i in dict.fromkeys(self.exclude + removed) if i not in added)
        return replace(self, include=include, exclude=exclude)


@dataclass(frozen=True, slots=True)
class Pick:
    number: str  # "1.2"
    arxiv_id: str
    title: str
    section: str


@dataclass(frozen=True, slots=True)
class Draft:
    """A week's issue as the dashboard shows it; `locked` says why it may not change."""

    number: int
    week_start: dt.date
    title: str
    markdown: str
    picks: tuple[Pick, ...]
    candidates: tuple[dict[str, Any], ...]  # one table row per ranked candidate
    audience: int  # active subscribers it has not reached yet
    html_path: Path | None = None
    locked: str | None = None  # "sent" / "sending started": built before, only sending is left

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.arxiv_id for p in self.picks)


def week_of(day: dt.date | None, today: dt.date) -> Week:
    """The week containing `day`; without one, the week that just ended."""
    return Week.containing(day) if day else Week.last_completed(today)


def arxiv_ids(texts: Iterable[str]) -> tuple[str, ...]:
    """Bare ids from what an editor types: ids, "arXiv:ID", abs/pdf or HF URLs."""
    found = []
    for text in texts:
        if not text.strip():
            continue
        parsed = arxiv_id_from(text)
        if parsed is None:
            raise ConfigError(f"{text!r} is not an arXiv id", hint="write it like 2411.17691")
        found.append(parsed[0])
    return tuple(dict.fromkeys(found))


def feed_names(settings: Settings) -> list[str]:
    return [f.name for f in load_editorial(settings.config).feeds]


def ingest_feed(settings: Settings, name: str, since: dt.date, until: dt.date) -> FeedReport:
    """Ingest one configured feed; raises IngestError if it gave nothing, so it can be retried."""
    spec = _feed(load_editorial(settings.config), name)
    plan = feeds.requests_for(spec, since, until)
    with open_store(settings) as store, Fetcher.from_settings(settings) as fetch:
        known = store.feed_states(loc for loc, _ in plan)
        read = read_feed(spec, plan, known, fetch, _parse)
        report = store_feed(store, read)  # merges take the store's write turn, thread or process
    if report.error:
        raise IngestError(f"feed {name}: {report.error}")
    return report


def prepare(settings: Settings, week: Week, edits: Edits = Edits(), *, out: Path = Path("out")) -> Draft:
    """Build the week's issue (the week's overrides file, then `edits`) and write its files.

    An issue whose sending has started is never rebuilt: it comes back `locked`, so a
    second run for the week only finishes the send (the delivery ledger keeps it once).
    """
    editorial = load_editorial(settings.config)
    with open_store(settings) as store:
        stored = store.issue_for_week(week.start)
        if stored is not None and (stored.status != DRAFT or store.delivery_counts(stored.number)):
            reason = "sent" if stored.status != DRAFT else "sending started"
            return _draft(store, stored, locked=reason)
        folder = settings.config.parent / editorial.overrides_dir
        overrides = read_overrides(folder, week).merged(edits.overrides())
        built = build_issue(store, editorial, week, templates=settings.templates, overrides=overrides)
        files = write_files(built, out / week.start.isoformat())
        fresh = store.issue_for_week(week.start)
        assert fresh is not None  # build_issue saved it
        return _draft(store, fresh, html=files["html"].resolve())


def check_candidates(draft: Draft, minimum: int) -> None:
    found = len(draft.candidates)
    if not draft.locked and found < minimum:
        raise TooFewCandidatesError(
            f"only {found} candidate papers for the week of {draft.week_start} "
            f"(at least {minimum} wanted); issue {draft.number} was not sent"
        )


def proof_recipients(editorial: EditorialConfig, test_to: Iterable[str]) -> tuple[str, ...]:
    """The run's test addresses and the editors, each once."""
    unique: dict[str, str] = {}
    for address in (*test_to, *editorial.approval.editors):
        if address.strip():
            clean = normalise_email(address)
            unique.setdefault(clean.lower(), clean)
    return tuple(unique.values())


def send_proofs(settings: Settings, number: int, addresses: Sequence[str], backend: str | None = None) -> int:
    """The proof of issue `number` to these addresses only; the ledger records nothing."""
    with open_store(settings) as store:
        stored = load_issue(store, number)
    with sending(settings, stored, backend) as (envelope, opened, token):
        return proof(envelope, opened, addresses, token)


def deliver(settings: Settings, number: int, backend: str | None = None) -> SendReport:
    """Send issue `number` to every active subscriber it has not reached: at most once each."""
    with open_store(settings) as store, sending(settings, load_issue(store, number), backend) as (
        envelope, opened, token
    ):
        return send_issue(store, envelope, opened, token)


def audience(settings: Settings, number: int) -> int:
    with open_store(settings) as store:
        return store.audience(number)


def open_store(settings: Settings) -> Store:
    with _STORE_TURN:
        return Store(settings.database_url)


def _feed(editorial: EditorialConfig, name: str) -> FeedSpec:
    for spec in editorial.feed_specs():
        if spec.name == name:
            return spec
    known = ", ".join(f.name for f in editorial.feeds) or "none"
    raise ConfigError(f"no feed named {name} (known: {known})")


def _parse(kind: SourceKind, content: bytes, feed: str, day: dt.date | None, ctype: str | None) -> ParseResult:
    return feeds.parse(kind, content, feed=feed, listed_on=day, content_type=ctype)


def _draft(store: Store, stored: StoredIssue, *, html: Path | None = None, locked: str | None = None) -> Draft:
    data = stored.data
    picks = tuple(
        Pick(str(p["number"]), str(p["arxiv_id"]), str(p["title"]), str(section["name"]))
        for section in data.get("sections", []) for p in section.get("papers", [])
    )
    chosen = {p.arxiv_id for p in picks}
    rows = tuple(
        {"rank": rank, "arxiv_id": c["arxiv_id"], "title": c["title"], "score": round(float(c["score"]), 3),
         "section": c["section"], "picked": "yes" if c["arxiv_id"] in chosen else "", "why": c["why"]}
        for rank, c in enumerate(data.get("candidates", []), 1)
    )
    return Draft(number=stored.number, week_start=stored.week_start, title=stored.title,
                 markdown=stored.markdown, picks=picks, candidates=rows,
                 audience=store.audience(stored.number), html_path=html, locked=locked)


# --- What the dashboard shows: plain Markdown, so any scheduler can publish it ------------


def preview_markdown(draft: Draft) -> str:
    """The issue as it will read, under a line saying what it is and who would get it."""
    state = f" ({draft.locked}: it is no longer rebuilt)" if draft.locked else " (draft)"
    head = (f"**Issue {draft.number}{state}**, week of {draft.week_start}: {len(draft.picks)} papers, "
            f"{len(draft.candidates)} candidates; {draft.audience} subscribers still to receive it.")
    return f"{head}\n\n---\n\n{draft.markdown}"


def approval_question(draft: Draft, note: str = "") -> str:
    """What the editor reads above the approval form: the picks, with the ids to remove."""
    lines = [f"### Send issue {draft.number} «{draft.title}» to {draft.audience} subscribers?", ""]
    if note:
        lines += [f"**{note}**", ""]
    lines += [f"- {p.number} `{p.arxiv_id}` {p.title} ({p.section})" for p in draft.picks]
    lines += ["", "*approve*: send it now. *add* / *remove*: arXiv ids; the issue is rebuilt and "
              "shown again (with *approve* it is sent at once). Neither: it is not sent."]
    return "\n".join(lines)


def report_markdown(report: SendReport) -> str:
    rows = [("issue", str(report.issue_number)), ("backend", report.backend), ("sent", str(report.sent)),
            ("failed", str(report.failed)), ("skipped", str(report.skipped)),
            ("rate", f"{report.rate:,.0f} per second"), ("time", f"{report.seconds:.1f} s"),
            ("requests", str(report.requests))]
    rows += [(label, str(n)) for label, n in (("requeued after an interrupted send", report.recovered),
             ("unknown (may have gone out, not resent)", report.unknown),
             ("still queued (run again)", report.left)) if n]
    table = "\n".join(f"| {label} | {value} |" for label, value in rows)
    return f"### Send report, issue {report.issue_number}\n\n| | |\n| --- | --- |\n{table}\n"


def unsent_markdown(draft: Draft, why: str) -> str:
    return f"### Issue {draft.number} was not sent\n\n{why}\n"
