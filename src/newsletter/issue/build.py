"""Build a week's issue: store → selection → sections → issue → rendered files → draft."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsletter.config import EditorConfig
from newsletter.domain.issue import Candidate, Issue
from newsletter.domain.papers import Paper
from newsletter.domain.week import Week
from newsletter.engagement.interest import section_history
from newsletter.errors import ConfigError, NewsletterError
from newsletter.issue.assemble import assemble, fill
from newsletter.render.email import Rendered, environment, render
from newsletter.selection.balance import choose
from newsletter.selection.interest import nudge, reader_interest
from newsletter.selection.learned import FeatureRows
from newsletter.selection.score import Analyser, Rules, Weights, force, rank_analysed
from newsletter.selection.sections import (
    DEFAULT_SECTIONS,
    Section,
    section_named,
    sections_from_config,
)
from newsletter.selection.training import apply_model, current_model
from newsletter.store import Store


class NoCandidatesError(NewsletterError):
    hint = "ingest the week first (newsletter ingest --since … --until …), or pick another week"


@dataclass(frozen=True, slots=True)
class Overrides:
    """The editor's last word for one week: from the command line and the week's file."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    skip_promos: tuple[str, ...] = ()
    size: int | None = None
    moves: tuple[tuple[str, str], ...] = ()  # (arXiv id, section): in the issue, in that section

    def merged(self, other: Overrides) -> Overrides:
        return Overrides(
            include=_unique(self.include + other.include),
            exclude=_unique(self.exclude + other.exclude),
            skip_promos=_unique(self.skip_promos + other.skip_promos),
            size=other.size if other.size is not None else self.size,
            moves=tuple(dict(self.moves + other.moves).items()),  # the later word wins
        )


@dataclass(frozen=True, slots=True)
class Built:
    issue: Issue
    rendered: Rendered
    files: dict[str, Path] = field(default_factory=dict)


def build_issue(
    store: Store,
    editor: EditorConfig,
    week: Week,
    *,
    templates: Path,
    overrides: Overrides = Overrides(),
    feed_weights: dict[str, float] | None = None,
) -> Built:
    """Rank the week's papers, pick and place them, render, and save the numbered draft."""
    sections = section_taxonomy(editor)
    rules = selection_rules(editor, sections, feed_weights, overrides.size)
    model = current_model(store, sections)  # first: the workers read with its vocabulary too
    with Analyser(rules.sections, reader=model.reader()) as analyser:
        for day in store.papers_by_day(week.start, week.end):
            analyser.submit(day)  # read in workers while the next day loads
        analysed = analyser.results()
        read = FeatureRows(*analyser.features())
    papers = [paper for paper, _ in analysed]
    moved = dict(overrides.moves)
    ranked = rank_analysed(analysed, rules)
    forced = _forced(store, papers, rules, _unique(overrides.include + tuple(moved)))
    if not ranked and not forced:
        raise NoCandidatesError(
            f"no candidate papers for the week {week.start} … {week.end} "
            f"({len(papers)} papers listed, none about LLMs)"
        )
    ranked = apply_model(ranked, model, read)
    forced = _moved(apply_model(forced, model), moved, sections)
    interest = reader_interest(section_history(store), sections)
    ranked = nudge(ranked, interest, rules.weights.readers)
    forced = nudge(forced, interest, rules.weights.readers)
    picks = choose(
        ranked,
        rules.size,
        include=forced,
        exclude=frozenset(overrides.exclude),
        sections=rules.section_range,
        crowding=rules.crowding,
    )
    texts = editor.texts.model_dump()
    issue = assemble(
        number=store.issue_number_for(week.start),
        week=week,
        picks=picks,
        candidates=ranked,
        section_order=[s.name for s in sections],
        texts=texts,
        promos=[
            p.promo() for p in editor.promos if p.enabled and p.name not in overrides.skip_promos
        ],
        last_listing=max((p.listed_on for p in papers if p.listed_on), default=None),
        model=model.label,
    )
    preheader = fill(texts["preheader"], {"count": len(picks), "week_name": week.name})
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


def build_week(
    store: Store,
    editor: EditorConfig,
    week: Week,
    *,
    templates: Path,
    config_dir: Path,
    out: Path,
    extra: Overrides = Overrides(),
) -> tuple[Built, dict[str, Path]]:
    """The week's issue as the CLI, the demo and the weekly run build it: the week's overrides
    file (beside newsletter.toml), then `extra`, built, saved and written to `out`."""
    overrides = read_overrides(config_dir / editor.overrides_dir, week).merged(extra)
    built = build_issue(store, editor, week, templates=templates, overrides=overrides)
    return built, write_files(built, out)


def write_files(built: Built, out: Path) -> dict[str, Path]:
    """issue.html (inlined), issue.txt, issue.md and issue.json in `out`."""
    out.mkdir(parents=True, exist_ok=True)
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
        path.write_text(body, encoding="utf-8")
        files[ext] = path
    return files


def section_taxonomy(editor: EditorConfig) -> tuple[Section, ...]:
    return DEFAULT_SECTIONS if editor.sections is None else sections_from_config(editor.sections)


def selection_rules(
    editor: EditorConfig,
    sections: Sequence[Section],
    feed_weights: dict[str, float] | None = None,
    size: int | None = None,
) -> Rules:
    sel = editor.selection
    w = sel.weights
    return Rules(
        size=size or sel.size,
        section_range=sel.sections,
        crowding=sel.crowding,
        weights=Weights(
            upvotes=w.upvotes,
            comments=w.comments,
            feeds=w.feeds,
            topic=w.topic,
            readers=w.readers,
            kinds=w.kinds.model_dump(),
        ),
        feed_weights=feed_weights
        if feed_weights is not None
        else {f.name: f.weight for f in editor.feeds},
        sections=tuple(sections),
    )


def read_overrides(folder: Path, week: Week) -> Overrides:
    """The week's file `<folder>/<monday>.toml`: include, exclude, skip_promos, size, move."""
    path = folder / f"{week.start.isoformat()}.toml"
    if not path.exists():
        return Overrides()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    unknown = set(raw) - {"include", "exclude", "skip_promos", "size", "move"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    return Overrides(
        include=tuple(str(x) for x in raw.get("include", [])),
        exclude=tuple(str(x) for x in raw.get("exclude", [])),
        skip_promos=tuple(str(x) for x in raw.get("skip_promos", [])),
        size=int(raw["size"]) if "size" in raw else None,
        moves=tuple((str(k), str(v)) for k, v in dict(raw.get("move", {})).items()),
    )


def _forced(
    store: Store, papers: Sequence[Paper], rules: Rules, ids: Sequence[str]
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
        forced.append(force(paper, rules, list(week_papers.values())))
    return forced


def _moved(
    candidates: Sequence[Candidate], moved: dict[str, str], sections: Sequence[Section]
) -> list[Candidate]:
    """The editor's includes, each moved paper in the section the editor chose."""
    found = []
    for c in candidates:
        target = section_named(moved.get(c.paper.arxiv_id), sections)
        found.append(replace(c, section=target) if target else c)
    return found


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
