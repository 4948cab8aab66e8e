"""Build a week's issue: store → selection → sections → issue → rendered files → draft."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.config import EditorConfig
from newsletter.domain.issue import Candidate, Issue
from newsletter.domain.papers import Paper
from newsletter.domain.week import Week
from newsletter.errors import ConfigError, NewsletterError
from newsletter.issue.assemble import assemble, fill
from newsletter.render.email import Rendered, environment, render
from newsletter.selection.score import Analyser, Rules, Weights, force, pick, rank_analysed
from newsletter.selection.sections import DEFAULT_SECTIONS, Section, sections_from_config
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

    def merged(self, other: Overrides) -> Overrides:
        return Overrides(
            include=_unique(self.include + other.include),
            exclude=_unique(self.exclude + other.exclude),
            skip_promos=_unique(self.skip_promos + other.skip_promos),
            size=other.size if other.size is not None else self.size,
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
    with Analyser(rules.sections) as analyser:
        for day in store.papers_by_day(week.start, week.end):
            analyser.submit(day)  # read in workers while the next day loads
        analysed = analyser.results()
    papers = [paper for paper, _ in analysed]
    ranked = rank_analysed(analysed, rules)
    forced = _forced(store, papers, rules, overrides.include)
    if not ranked and not forced:
        raise NoCandidatesError(
            f"no candidate papers for the week {week.start} … {week.end} "
            f"({len(papers)} papers listed, none about LLMs)"
        )
    picks = pick(ranked, rules, include=forced, exclude=frozenset(overrides.exclude))
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
        per_section=sel.per_section,
        weights=Weights(
            upvotes=w.upvotes,
            comments=w.comments,
            feeds=w.feeds,
            topic=w.topic,
            kinds=w.kinds.model_dump(),
        ),
        feed_weights=feed_weights
        if feed_weights is not None
        else {f.name: f.weight for f in editor.feeds},
        sections=tuple(sections),
    )


def read_overrides(folder: Path, week: Week) -> Overrides:
    """The week's file `<folder>/<monday>.toml`: include, exclude, skip_promos, size."""
    path = folder / f"{week.start.isoformat()}.toml"
    if not path.exists():
        return Overrides()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    unknown = set(raw) - {"include", "exclude", "skip_promos", "size"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    return Overrides(
        include=tuple(str(x) for x in raw.get("include", [])),
        exclude=tuple(str(x) for x in raw.get("exclude", [])),
        skip_promos=tuple(str(x) for x in raw.get("skip_promos", [])),
        size=int(raw["size"]) if "size" in raw else None,
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


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
