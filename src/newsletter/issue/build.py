"""Build a week's issue: store → selection → sections → issue → rendered files → draft.

The store comes in through `Drafts`, the few queries a build makes; the week's overrides
file and the files written beside the draft are read and written here too. Which week, what
edits and where the files go is the caller's (newsletter.services.build).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from threadpoolctl import threadpool_limits

from newsletter.config import EditorConfig
from newsletter.domain.issue import Candidate, Issue, IssueRecord
from newsletter.domain.papers import Paper
from newsletter.domain.votes import PaperVotes
from newsletter.domain.week import Week
from newsletter.errors import ConfigError, NewsletterError
from newsletter.issue.assemble import assemble, fill
from newsletter.issue.edits import NO_EDITS, Edits
from newsletter.private_files import write_private
from newsletter.render.email import Rendered, environment, render
from newsletter.selection.balance import choose
from newsletter.selection.interest import SectionClicks, nudge, reader_interest
from newsletter.selection.learned import FeatureRows
from newsletter.selection.pick import PickScorer, shown
from newsletter.selection.prior import Prior, PriorTexts, shipped_prior
from newsletter.selection.prior_text import PriorReader
from newsletter.selection.reading import Analyser, PaperReader
from newsletter.selection.rules import Rules, section_taxonomy
from newsletter.selection.score import force, rank_analysed
from newsletter.selection.training import Training, stored_model
from newsletter.selection.training_store import TrainingStore
from newsletter.selection.votes import vote_interest


class NoCandidatesError(NewsletterError):
    hint = "ingest the week first (newsletter ingest --since … --until …), or pick another week"


class Drafts(TrainingStore, Protocol):
    """What a build reads (the week's papers, the current model) and writes (the draft)."""

    def papers_by_day(self, start: dt.date, end: dt.date) -> Iterator[list[Paper]]: ...

    def issue_number_for(self, week_start: dt.date) -> int: ...

    def save_draft(
        self,
        *,
        number: int,
        week_start: dt.date,
        title: str,
        record: IssueRecord,
        html: str,
        text: str,
        markdown: str,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Built:
    issue: Issue
    rendered: Rendered
    files: dict[str, Path] = field(default_factory=dict)


def build_issue(
    store: Drafts,
    editor: EditorConfig,
    week: Week,
    *,
    templates: Path,
    edits: Edits = NO_EDITS,
    history: Sequence[SectionClicks] = (),
    votes: Sequence[PaperVotes] = (),
    feed_weights: dict[str, float] | None = None,
    prior: Prior | None = None,
) -> Built:
    """Rank the week's papers, pick and place them with the editor's edits, render, and
    save the numbered draft. `history`: the readers' clicks per section on recent issues
    (`engagement.interest.section_history`), and `votes` their votes on recent papers
    (`engagement.votes.vote_history`), which nudge the score; `prior`: the shipped one
    unless given."""
    with no_gc_pauses():
        return _build_issue(
            store,
            editor,
            week,
            templates=templates,
            edits=edits,
            history=history,
            votes=votes,
            feed_weights=feed_weights,
            prior=prior,
        )


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection while a build runs: it makes hundreds of thousands of
    small objects that hold no cycles, and the collector would walk the growing heap again
    and again (20,000 papers: 0.9 s of a 3.4 s build). Refcounting still frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build_issue(
    store: Drafts,
    editor: EditorConfig,
    week: Week,
    *,
    templates: Path,
    edits: Edits,
    history: Sequence[SectionClicks],
    votes: Sequence[PaperVotes],
    feed_weights: dict[str, float] | None,
    prior: Prior | None,
) -> Built:
    sections = section_taxonomy(editor)
    edits = edits.resolved(sections)
    rules = Rules.of(editor, sections, feed_weights)
    prior = prior or shipped_prior()
    # The model first: the workers read with its words. Without a usable one stored, its
    # words are made first (quick) and its weights fitted while the workers read.
    model = stored_model(store, sections, prior=prior)
    training = (
        None if model else Training.start(store, sections, weights=rules.weights, prior=prior)
    )
    reader = PaperReader(sections)
    prior_texts = PriorTexts(prior, PriorReader(reader.topics))
    reads = model.reader() if model else training.reader()  # type: ignore[union-attr]
    with Analyser(reader, reader=reads, scorer=prior_texts) as analyser:
        for day in store.papers_by_day(week.start, week.end):
            analyser.submit(day)  # read in workers while the next day loads
        if training is not None:
            with threadpool_limits(limits=1, user_api="blas"):  # see reading.one_blas_thread
                model = training.finish()
        assert model is not None
        analysed = analyser.results()
        read = FeatureRows(*analyser.features())
        scores = analyser.scores()
    papers = [paper for paper, _ in analysed]
    ranked = rank_analysed(analysed, rules)  # on-topic papers only: all the prior scores
    forced = _forced(store, papers, rules, reader, edits.add)
    if not ranked and not forced:
        raise NoCandidatesError(
            f"no candidate papers for the week {week.start} … {week.end} "
            f"({len(papers)} papers listed, none about LLMs)"
        )
    judge = PickScorer(model, prior, sections, rules.weights, prior_texts.reader)
    with threadpool_limits(limits=1, user_api="blas"):
        ranked = judge.score(ranked, scores, read)
        forced = [edits.placed(c, sections) for c in judge.score(forced, week=ranked)]
    interest = reader_interest(history, sections)
    voted = vote_interest(votes, sections)
    ranked = nudge(ranked, interest, rules.weights.readers, voted)
    # the editor's own additions are in whatever readers think: no rank to move them from
    forced = nudge(forced, interest, rules.weights.readers, voted, ranked=False)
    picks = choose(
        ranked,
        edits.size or rules.selection.size,
        include=forced,
        exclude=frozenset(edits.remove),
        balance=rules.selection,
        sections=sections,
    )
    explained = shown(ranked, picks)  # the why spelled out only where someone reads it
    picks = judge.explain(picks)
    ranked = [judge.explain([c])[0] if c.paper.arxiv_id in explained else c for c in ranked]
    texts = editor.texts
    issue = assemble(
        number=store.issue_number_for(week.start),
        week=week,
        picks=picks,
        candidates=ranked,
        sections=sections,
        texts=texts,
        promos=[p.promo() for p in editor.promos if p.enabled],
        edits=edits,
        last_listing=max((p.listed_on for p in papers if p.listed_on), default=None),
        model=model.label,
    )
    preheader = fill(texts.preheader, {"count": len(picks), "week_name": week.name})
    rendered = render(issue, environment(templates), texts=texts, preheader=preheader)
    store.save_draft(
        number=issue.number,
        week_start=week.start,
        title=issue.title,
        record=rendered.record,
        html=rendered.html,
        text=rendered.text,
        markdown=rendered.markdown,
    )
    return Built(issue, rendered)


def write_files(built: Built, out: Path) -> dict[str, Path]:
    """issue.html (inlined), issue.txt, issue.md and issue.json in `out`."""
    r = built.rendered
    contents = {
        "html": r.html,
        "txt": r.text,
        "md": r.markdown,
        "json": json.dumps(r.record.to_json(), ensure_ascii=False, indent=2) + "\n",
    }
    files = {}
    for ext, body in contents.items():
        path = out / f"issue.{ext}"
        write_private(path, body)  # like every file of ours: its owner's only
        files[ext] = path
    return files


OVERRIDE_KEYS = ("include", "exclude", "move", "order", "note", "size", "skip_promos")


def read_overrides(folder: Path, week: Week) -> Edits:
    """The week's file `<folder>/<monday>.toml`, the editor's edits for that week:

    include = ["2411.17691"]                          # in the issue, whatever its score
    exclude = ["2411.17465"]                          # kept out
    move = { "2411.17116" = "Transformers" }          # in the issue, in that section
    order = { "LLM Reasoning" = ["2411.14405", "2411.17691"] }  # these first, in order
    note = "A short week: …"                          # a note under the intro
    size = 10
    skip_promos = ["ebook"]
    """
    path = folder / f"{week.start.isoformat()}.toml"
    if not path.exists():
        return Edits()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    unknown = set(raw) - set(OVERRIDE_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    try:
        return Edits.of(
            add=_strings(raw, "include"),
            remove=_strings(raw, "exclude"),
            move=[(k, _string(v, "move")) for k, v in _table(raw, "move").items()],
            order=[(k, _strings(_table(raw, "order"), k)) for k in _table(raw, "order")],
            note=_string(raw["note"], "note") if "note" in raw else None,
            size=raw.get("size"),
            skip_promos=_strings(raw, "skip_promos"),
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", hint=exc.hint) from None


def _strings(raw: dict[str, Any], key: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings")
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key}: {value!r} must be a string")
    return value


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a table, like {key} = {{ … }}")
    return value


def _forced(
    store: Drafts, papers: Sequence[Paper], rules: Rules, reader: PaperReader, ids: Sequence[str]
) -> list[Candidate]:
    week_papers = {p.arxiv_id: p for p in papers}
    forced = []
    for arxiv_id in ids:
        paper = week_papers.get(arxiv_id) or store.get_paper(arxiv_id)
        if paper is None:
            raise ConfigError(
                f"cannot include {arxiv_id}: it is not in the store",
                hint=f"ingest it first, e.g. newsletter ingest --source arxiv-api=https://export.arxiv.org/api/query?id_list={arxiv_id}",
            )
        forced.append(force(paper, rules, list(week_papers.values()), reader))
    return forced
