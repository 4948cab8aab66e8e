"""Build a week's issue: store → selection → sections → issue → rendered files → draft."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.config import EditorialConfig
from newsletter.errors import ConfigError, NewsletterError
from newsletter.issue import assemble, fill
from newsletter.models import Candidate, Issue, Paper
from newsletter.render import Rendered, environment, render
from newsletter.sections import DEFAULT_SECTIONS, Section, sections_from_config
from newsletter.select import Analyser, Rules, Weights, force, pick, rank_analysed
from newsletter.store import Store
from newsletter.week import Week


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
    editorial: EditorialConfig,
    week: Week,
    *,
    templates: Path,
    overrides: Overrides = Overrides(),
    feed_weights: dict[str, float] | None = None,
) -> Built:
    """Rank the week's papers, pick and place them, render, and save the numbered draft."""
    sections = section_taxonomy(editorial)
    rules = selection_rules(editorial, sections, feed_weights, overrides.size)
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
    texts = editorial.texts.model_dump()
    issue = assemble(
        number=store.issue_number_for(week.start),
        week=week,
        picks=picks,
        candidates=ranked,
        section_order=[s.name for s in sections],
        texts=texts,
        promos=[p.promo() for p in editorial.promos if p.enabled and p.name not in overrides.skip_promos],
        last_listing=max((p.listed_on for p in papers if p.listed_on), default=None),
    )
    preheader = fill(texts["preheader"], {"count": len(picks), "week_name": week.name})
    rendered = render(issue, environment(templates), texts=texts, preheader=preheader)
    store.save_draft(
        number=issue.number,
        week_start=week.start,
        title=issue.title,
        data=rendered.data,
        html=rendered.html,
        text=rendered.text,
        markdown=rendered.markdown,
    )
    return Built(issue, rendered)


def write_files(built: Built, out: Path) -> dict[str, Path]:
    """issue.html (inlined), issue.txt, issue.md and issue.json in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    r = built.rendered
    contents = {
        "html": r.html,
        "txt": r.text,
        "md": r.markdown,
        "json": json.dumps(r.data, ensure_ascii=False, indent=2) + "\n",
    }
    files = {}
    for ext, body in contents.items():
        path = out / f"issue.{ext}"
        path.write_text(body, encoding="utf-8")
        files[ext] = path
    return files


def section_taxonomy(editorial: EditorialConfig) -> tuple[Section, ...]:
    return DEFAULT_SECTIONS if editorial.sections is None else sections_from_config(editorial.sections)


def selection_rules(
    editorial: EditorialConfig,
    sections: Sequence[Section],
    feed_weights: dict[str, float] | None = None,
    size: int | None = None,
) -> Rules:
    sel = editorial.selection
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
        feed_weights=feed_weights if feed_weights is not None else {f.name: f.weight for f in editorial.feeds},
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


def _forced(store: Store, papers: Sequence[Paper], rules: Rules, ids: Sequence[str]) -> list[Candidate]:
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
