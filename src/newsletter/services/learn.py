"""Learning the editor's judgement: training the section classifier and the editor's
correction to the prior (with the rule score weighed by `[selection.weights]`, as a build
weighs it), learning from issues published before and from every sent issue (the editor's
review edits are recorded by services/review.py as they are made); and classifying papers
with the configured sections.

The test week (2024-12-02) is never trained on, whatever the source (selection/examples.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.app import App
from newsletter.domain.learning import Action, Decision
from newsletter.domain.taxonomy import PaperKind, Section
from newsletter.errors import ConfigError
from newsletter.issue.lookup import find_issue
from newsletter.selection.published import read_published
from newsletter.selection.rules import Rules, section_taxonomy
from newsletter.selection.sections import DEFAULT_SECTIONS, SectionClassifier
from newsletter.selection.topics import TopicModel
from newsletter.selection.training import (
    Learned,
    WeekScore,
    check_sections,
    evaluate,
    examples,
    learn_published,
    train_and_save,
)

__all__ = [
    "Classified",
    "Classifier",
    "Learned",
    "Taught",
    "Trained",
    "classifier",
    "learn_from_files",
    "learn_from_issue",
    "train",
]


@dataclass(frozen=True, slots=True)
class Trained:
    version: int | None  # the store's number for it
    label: str  # "v3 (…)": what issue.json names
    counts: dict[str, int]  # what it learned from
    scores: list[WeekScore] = field(default_factory=list)  # leave-one-week-out, per week


@dataclass(frozen=True, slots=True)
class Taught:
    """What `learn_from_files` made of each published issue, and the model trained after."""

    files: list[tuple[Path, Learned]]
    model: str


def train(app: App) -> Trained:
    """Train on everything known and store the models as a new version; with, week by week,
    how many section labels a model trained without that week gets right."""
    editor = app.editor()
    sections = section_taxonomy(editor)
    with app.store() as store:
        scores = evaluate(examples(store, sections), sections)
        model = train_and_save(store, sections, weights=editor.selection.weights)
    return Trained(model.version, model.label, dict(model.counts), scores)


def learn_from_files(
    app: App,
    files: Sequence[Path],
    *,
    week: dt.date | None = None,
    on_file: Callable[[Path, Learned], None] | None = None,
) -> Taught:
    """Issues the editor published before (text, Markdown or HTML, in UTF-8): each one's
    papers, matched to stored papers, recorded with their sections and the week's other
    candidates as left out; then the models retrain. ConfigError, before anything is recorded,
    for a file that is not UTF-8 or names a section that is not configured; and for a file
    none of whose papers is stored."""
    editor = app.editor()
    sections = section_taxonomy(editor)
    texts = {path: _text(path) for path in files}
    for path, text in texts.items():  # every file checked before any is recorded
        try:
            check_sections(read_published(text), sections)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}", hint=exc.hint) from None
    done: list[tuple[Path, Learned]] = []
    with app.store() as store:
        for path, text in texts.items():
            found = learn_published(store, Rules.of(editor, sections), text, week=week)
            if found.week is None:
                raise ConfigError(
                    f"{path}: none of its {len(found.unmatched)} papers is in the store",
                    hint="ingest the issue's week first (newsletter ingest --since … --until …)",
                )
            done.append((path, found))
            if on_file:
                on_file(path, found)
        model = train_and_save(store, sections, weights=editor.selection.weights)
    return Taught(done, model.label)


def _text(path: Path) -> str:
    """The file as UTF-8 text (what every platform exports), or a one-line error saying where."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
            hint="save the issue as UTF-8 (in most editors: Save As, encoding UTF-8) and run again",
        ) from None


def learn_from_issue(app: App, number: int) -> str:
    """After a send: the issue's picks (after any edits) and the candidates left out become
    examples, and the models retrain; the new model's label."""
    editor = app.editor()
    sections = section_taxonomy(editor)
    with app.store() as store:
        record = find_issue(store, number=number).record
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
        return train_and_save(store, sections, weights=editor.selection.weights).label


@dataclass(frozen=True, slots=True)
class Classified:
    section: str
    scores: dict[str, float]  # every section's
    matched: dict[str, tuple[str, ...]]  # the phrases that fired, per section
    is_llm: bool
    kind: PaperKind


class Classifier:
    """The configured sections (the defaults without a newsletter.toml), the topic filter and
    the paper kinds, compiled once for many papers."""

    def __init__(self, sections: Sequence[Section]) -> None:
        self._sections, self._topics = SectionClassifier(sections), TopicModel()

    def __call__(self, title: str, abstract: str | None) -> Classified:
        placed = self._sections.classify(title, abstract)
        kind, _ = self._topics.kind(title, abstract)
        verdict = self._topics.relevance(title, abstract)
        return Classified(placed.section.name, placed.scores, placed.matched, verdict.is_llm, kind)


def classifier(app: App) -> Classifier:
    config = app.settings.config
    return Classifier(section_taxonomy(app.editor()) if config.exists() else DEFAULT_SECTIONS)
