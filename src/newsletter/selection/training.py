"""The model a build uses, and training it: the editor's decisions in the store (plus the
shipped labels) become examples, a trained model becomes the store's next version.

A build uses the newest stored model if it knows the configured sections and was fitted
against the prior in use; otherwise (no model yet, newsletter.toml's sections changed, a new
prior shipped) it trains one first, so the starting model comes from the shipped labels and a
new section is learned the week it is added. A stored model is JSON (`model_file.py`); one
that is not (release 0.1's pickles, anything tampered with) is refused with its reason
recorded in the store, never executed, and a new one is trained from the stored decisions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsletter.config.editor import WeightsConfig
from newsletter.domain.learning import Action, Decision, StoredModel
from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import Section, section_named
from newsletter.domain.week import Week
from newsletter.errors import ConfigError
from newsletter.selection import model_file
from newsletter.selection.examples import (
    in_test_week,
    ready,
    shipped_examples,
    without_test_week,
)
from newsletter.selection.learned import Example, SelectionModel, TextReader
from newsletter.selection.learned_fit import train, vocabulary
from newsletter.selection.prior import Prior, identity, shipped_prior
from newsletter.selection.published import PublishedPick, read_published, title_key
from newsletter.selection.rules import Rules
from newsletter.selection.score import rank, signal_values
from newsletter.selection.sections import SectionClassifier
from newsletter.selection.topics import TopicModel
from newsletter.selection.training_store import TrainingStore
from newsletter.selection.vectors import Vectoriser

# What each decision says, and how loudly: an edit at approval is the editor correcting us.
MEANING: dict[Action, tuple[bool | None, float]] = {
    Action.PICKED: (True, 1.0),
    Action.LEFT_OUT: (False, 1.0),
    Action.ADDED: (True, 3.0),
    Action.REMOVED: (False, 3.0),
    Action.MOVED: (None, 3.0),
}
MODEL_FORMAT = f"{model_file.FORMAT}/{model_file.VERSION}"


def current_model(
    store: TrainingStore,
    sections: Sequence[Section],
    *,
    weights: WeightsConfig | None = None,
    prior: Prior | None = None,
) -> SelectionModel:
    """The newest stored model, or a new one trained now if none knows these sections and
    this prior (a stored model that cannot be read is refused, with its reason, first)."""
    found = stored_model(store, sections, prior=prior)
    return found or train_and_save(store, sections, weights=weights, prior=prior)


def stored_model(
    store: TrainingStore, sections: Sequence[Section], *, prior: Prior | None = None
) -> SelectionModel | None:
    """The newest stored model if it knows these sections and this prior; else None."""
    stored = store.latest_model()
    if stored is None:
        return None
    model = _loaded(store, stored)
    if (
        model is None
        or model.sections != tuple(s.name for s in sections)
        or model.prior != identity(prior or shipped_prior())
    ):
        return None
    model.version = stored.version
    return model


def _loaded(store: TrainingStore, stored: StoredModel) -> SelectionModel | None:
    """The stored model, read as JSON; None, and the model refused in the store, if it is
    anything else."""
    try:
        if stored.format != MODEL_FORMAT or stored.body is None:
            raise model_file.ModelFileError(
                f"not a model: format {stored.format[:40]!r}, this code reads {MODEL_FORMAT!r}"
            )
        return model_file.loads(stored.body)
    except model_file.ModelFileError as exc:
        store.refuse_model(stored.version, f"refused when read: {exc}")
        return None


def train_and_save(
    store: TrainingStore,
    sections: Sequence[Section],
    *,
    weights: WeightsConfig | None = None,
    prior: Prior | None = None,
) -> SelectionModel:
    """Train on everything known and store the model as the next version. `weights`: the
    rule score's, one of the signals the editor's correction weighs (default: the defaults)."""
    return Training.start(store, sections, weights=weights, prior=prior).finish()


@dataclass
class Training:
    """A model being trained: its words first (quick, so that a build's workers read texts
    with them while the models are fitted), then its weights, stored as the next version."""

    store: TrainingStore
    sections: Sequence[Section]
    examples: list[Example]
    prior: Prior
    vectoriser: Vectoriser

    @classmethod
    def start(
        cls,
        store: TrainingStore,
        sections: Sequence[Section],
        *,
        weights: WeightsConfig | None = None,
        prior: Prior | None = None,
    ) -> Training:
        prior = prior or shipped_prior()
        found = examples(store, sections, weights=weights, prior=prior)
        return cls(store, sections, found, prior, vocabulary(found, sections))

    def reader(self) -> TextReader | None:
        return TextReader(self.vectoriser) if self.vectoriser.vocabulary else None

    def finish(self) -> SelectionModel:
        model = train(
            self.examples, self.sections, prior=identity(self.prior), vectoriser=self.vectoriser
        )
        model.version = self.store.save_model(
            model_file.dumps(model), dict(model_file.summary(model)), format=MODEL_FORMAT
        )
        return model


def examples(
    store: TrainingStore,
    sections: Sequence[Section],
    *,
    skip_weeks: frozenset[dt.date] = frozenset(),
    weights: WeightsConfig | None = None,
    prior: Prior | None = None,
) -> list[Example]:
    """The shipped labels, the editor's decisions, and the configured example papers; the
    judged ones ready for the editor's correction."""
    weights = weights or WeightsConfig()
    found = shipped_examples(sections, skip_weeks=skip_weeks, weights=weights, prior=prior)
    decided = [d for d in store.decisions() if d.week_start not in skip_weeks]
    found += decision_examples(store, decided, sections, weights=weights, prior=prior)
    found += section_examples(store, sections)
    return without_test_week(found)


@dataclass(frozen=True, slots=True)
class WeekScore:
    week: dt.date
    placed: int  # section labels of the week
    correct: int  # placed in that section by a model trained without the week


def evaluate(
    found: Sequence[Example], sections: Sequence[Section], minimum: int = 5
) -> list[WeekScore]:
    """Leave-one-week-out: each week with at least `minimum` section labels, placed by a model
    trained on every other week."""
    weeks = Counter(e.week for e in found if e.week and e.section)
    classifier = SectionClassifier(sections)
    scores = []
    for week, n in sorted(weeks.items()):
        if week is None or n < minimum:
            continue
        held = [e for e in found if e.week == week and e.section]
        model = train([e for e in found if e.week != week], sections)
        placed = model.place(
            [e.text for e in held],
            [classifier.classify(e.title, e.abstract).scores for e in held],
        )
        scores.append(
            WeekScore(
                week,
                len(held),
                sum(p.section == e.section for p, e in zip(placed, held, strict=True)),
            )
        )
    return scores


def decision_examples(
    store: TrainingStore,
    decisions: Sequence[Decision],
    sections: Sequence[Section],
    *,
    weights: WeightsConfig | None = None,
    prior: Prior | None = None,
) -> list[Example]:
    by_week: dict[dt.date, list[Decision]] = defaultdict(list)
    for d in decisions:
        by_week[d.week_start].append(d)
    found: list[Example] = []
    papers: dict[str, Paper] = {}
    topics = TopicModel()
    for week_start, week_decisions in sorted(by_week.items()):
        week = Week.containing(week_start)
        pool = {p.arxiv_id: p for p in store.papers_listed_between(week.start, week.end)}
        best = _day_best(pool.values())
        for d in week_decisions:
            if d.action not in MEANING:  # an order within a section: kept, not learned from
                continue
            paper = pool.get(d.arxiv_id) or store.get_paper(d.arxiv_id)
            if paper is None or in_test_week(paper.listed_on):
                continue
            papers[paper.arxiv_id] = paper
            picked, weight = MEANING[d.action]
            found.append(
                Example(
                    paper.arxiv_id,
                    paper.title,
                    paper.abstract,
                    week.start,
                    section_named(d.section, sections),
                    picked,
                    weight,
                    paper_signals(paper, best, topics),
                    source=d.source,
                )
            )
    return ready(found, papers, weights or WeightsConfig(), prior)


def section_examples(store: TrainingStore, sections: Sequence[Section]) -> list[Example]:
    """The example papers named in newsletter.toml for a section, found in the store."""
    found = []
    for section in sections:
        for arxiv_id in section.examples:
            paper = store.get_paper(arxiv_id)
            if paper is not None and not in_test_week(paper.listed_on):
                found.append(
                    Example(
                        paper.arxiv_id,
                        paper.title,
                        paper.abstract,
                        None,
                        section.name,
                        weight=3.0,
                        source="newsletter.toml",
                    )
                )
    return found


def paper_signals(
    paper: Paper, day_best: dict[dt.date | None, int], topics: TopicModel
) -> dict[str, float]:
    kind, _ = topics.kind(paper.title, paper.abstract)
    return signal_values(
        upvotes=paper.upvotes,
        day_best=day_best.get(paper.listed_on, 0),
        comments=paper.comments,
        listed=float(len(paper.feeds) or 1),
        topic=topics.relevance(paper.title, paper.abstract).score,
        kind=kind.value,
    )


def _day_best(papers: Iterable[Paper]) -> dict[dt.date | None, int]:
    best: dict[dt.date | None, int] = defaultdict(int)
    for paper in papers:
        best[paper.listed_on] = max(best[paper.listed_on], paper.upvotes or 0)
    return dict(best)


@dataclass(frozen=True, slots=True)
class Learned:
    """What `newsletter learn` made of one published issue."""

    week: Week | None
    matched: list[tuple[PublishedPick, str]]  # each pick and the stored paper it is
    unmatched: list[PublishedPick]
    left_out: int  # the week's candidates the editor did not pick


def learn_published(
    store: TrainingStore, rules: Rules, text: str, *, week: dt.date | None = None
) -> Learned:
    """Record an issue as the editor published it: its picks with their sections, and the
    week's other candidates as left out. Importing the same week again replaces it."""
    picks = read_published(text)
    by_title = {title_key(title): arxiv_id for arxiv_id, title in store.paper_titles()}
    check_sections(picks, rules.sections)
    matched, unmatched = [], []
    for pick in picks:
        known = pick.arxiv_id if pick.arxiv_id and store.get_paper(pick.arxiv_id) else None
        arxiv_id = known or by_title.get(title_key(pick.title))
        if arxiv_id:
            matched.append((pick, arxiv_id))
        else:
            unmatched.append(pick)
    found = Week.containing(week) if week else _majority_week(store, [i for _, i in matched])
    if found is None:
        return Learned(None, matched, unmatched, 0)
    chosen = {arxiv_id for _, arxiv_id in matched}
    candidates = rank(store.papers_listed_between(found.start, found.end), rules)
    decisions = [
        Decision(found.start, i, Action.PICKED, p.section, "published") for p, i in matched
    ]
    decisions += [
        Decision(found.start, c.paper.arxiv_id, Action.LEFT_OUT, None, "published")
        for c in candidates
        if c.paper.arxiv_id not in chosen
    ]
    store.record_decisions(decisions, replace_source=True)
    return Learned(found, matched, unmatched, len(decisions) - len(matched))


def check_sections(picks: Sequence[PublishedPick], sections: Sequence[Section]) -> None:
    """ConfigError naming every section heading of `picks` that is not a configured section
    (nor an alias of one), and the known ones: learning them would drop their labels."""
    unknown = sorted(
        {p.section for p in picks if p.section and not section_named(p.section, sections)}
    )
    if unknown:
        known = ", ".join(s.name for s in sections)
        raise ConfigError(
            f"not a section of newsletter.toml: {', '.join(repr(u) for u in unknown)} (known: {known})",
            hint="rename the heading in the file, or add it to [[sections]] (as `aliases` of a section it became)",
        )


def _majority_week(store: TrainingStore, ids: Sequence[str]) -> Week | None:
    weeks = Counter(
        Week.containing(p.listed_on) for i in ids if (p := store.get_paper(i)) and p.listed_on
    )
    return weeks.most_common(1)[0][0] if weeks else None
