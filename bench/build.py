"""Build time with a crowded week: 20,000 candidate papers in the store.

    .venv/bin/python bench/build.py [--papers 20000] [--warm] [--parts]

Fills a fresh SQLite store with papers made from the real late-2024 listings (real titles;
abstracts of seven real sentences drawn at random, so no two texts repeat) all listed in the week of 2024-11-25, then times
`build_issue` (load, read, rank with the prior and the editor's model, pick, summarise,
render, inline, save). Target: < 3 s.

The store starts without a learned model, so the build trains one first (as the first build
of a new store does); `--warm` stores one before timing, as every build after a send finds.
Either way the prior and the editor's model score every on-topic candidate. `--parts` then
times each step on its own, in one process (best of three), to show where the time goes:
the store, training or loading the model, reading the texts, the prior, the whys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from newsletter.config import TEMPLATES_DIR, EditorConfig
from newsletter.domain.papers import Listing
from newsletter.domain.week import Week
from newsletter.issue.build import build_issue, no_gc_pauses
from newsletter.selection.balance import choose
from newsletter.selection.learned import FeatureRows
from newsletter.selection.pick import PickScorer, shown
from newsletter.selection.prior import PriorTexts, shipped_prior
from newsletter.selection.prior_text import PriorReader
from newsletter.selection.reading import PaperReader, one_blas_thread
from newsletter.selection.rules import Rules, section_taxonomy
from newsletter.selection.score import rank_analysed
from newsletter.selection.topics import Tokens
from newsletter.selection.training import current_model, train_and_save
from newsletter.store import Store

T = TypeVar("T")

DATA = (
    Path(__file__).resolve().parents[2] / "shared/data/hf_daily_papers_2024-11-20_2024-12-12.jsonl"
)
BUNDLED = Path(__file__).resolve().parents[1] / "src/newsletter/demo/feeds/hf-daily"


def real_rows() -> list[dict[str, object]]:
    if DATA.exists():
        return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    rows = []
    for path in sorted(BUNDLED.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            p = entry["paper"]
            rows.append(
                {
                    "title": p["title"],
                    "abstract": p.get("summary"),
                    "authors": [a["name"] for a in p["authors"]],
                }
            )
    return rows


def listings(n: int, week: Week) -> list[Listing]:
    """Distinct papers: each abstract mixes sentences of several real ones (no repeated text)."""
    rng = random.Random(11)
    rows = real_rows()
    sentences = [
        s.strip() + "." for r in rows for s in str(r.get("abstract") or "").split(". ") if s
    ]
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        abstract = " ".join(rng.sample(sentences, 7)) if row.get("abstract") else ""
        out.append(
            Listing(
                arxiv_id=f"2411.{i:05d}",
                title=f"{row['title']} ({i})",
                abstract=abstract,
                feed="hf-daily",
                authors=tuple(row.get("authors") or ()),  # type: ignore[arg-type]
                listed_on=week.start + dt.timedelta(days=i % 5),
                upvotes=rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 40]),
                comments=rng.choice([1, 1, 1, 2, 3]),
                on_hugging_face=True,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20000)
    parser.add_argument("--warm", action="store_true", help="a model is stored before the build")
    parser.add_argument("--parts", action="store_true", help="time each step on its own")
    args = parser.parse_args()
    week = Week.containing(dt.date(2024, 11, 25))
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/bench.db") as store:
        store.migrate()  # opening a store changes nothing: migrating is a step
        start = time.perf_counter()
        store.merge(listings(args.papers, week))
        filled = time.perf_counter() - start
        if args.warm:
            train_and_save(store, section_taxonomy(EditorConfig()))
        start = time.perf_counter()
        built = build_issue(store, EditorConfig(), week, templates=TEMPLATES_DIR)
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"papers in the week:  {args.papers} ({len(built.issue.candidates)} candidates after the topic filter)"
    )
    print(f"store filled in:     {filled:.2f} s")
    print(f"build time:          {elapsed:.2f} s (target < 3 s)")
    print(f"picks:               {len(built.issue.papers)} in {len(built.issue.sections)} sections")
    print(f"peak memory:         {peak:.0f} MB")
    if args.parts:
        parts(args.papers, week)


def parts(n: int, week: Week) -> None:
    """Each step of a build on its own, in this process (one BLAS thread and no cyclic
    garbage collection, as a build), best of three."""
    one_blas_thread()
    editor = EditorConfig()
    sections = section_taxonomy(editor)
    rules = Rules.of(editor, sections)
    reader = PaperReader(sections)
    prior = shipped_prior()
    texts = PriorTexts(prior, PriorReader(reader.topics))
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(f"sqlite:///{tmp}/bench.db") as store,
        no_gc_pauses(),
    ):
        store.migrate()
        store.merge(listings(n, week))
        print(f"\nwhere the time goes ({n:,} papers; one process, best of 3):")
        days = _best(
            "store: load the week (papers_by_day)",
            lambda: list(store.papers_by_day(week.start, week.end)),
        )
        papers = [p for day in days for p in day]
        _best("model: train and store (no model yet)", lambda: train_and_save(store, sections))
        model = _best("model: load the stored one (JSON)", lambda: current_model(store, sections))
        read = _best(
            "read texts: words (Tokens)",
            lambda: [(p, Tokens.of(p.title), Tokens.of(p.abstract)) for p in papers],
        )
        found = _best(
            "read texts: topic, kind, section",
            lambda: [(p, t, a, reader.analyse(t, a)) for p, t, a in read],
        )
        on_topic = [(p, t, a, an) for p, t, a, an in found if an]
        rows_reader = model.reader()
        assert rows_reader is not None
        rows = _best(
            f"model: TF-IDF rows of the {len(on_topic):,} on topic",
            lambda: rows_reader([(t, a) for _, t, a, _ in on_topic]),
        )
        scores = _best(
            "prior: their texts, reusing the analysis",
            lambda: {p.arxiv_id: texts(t, a, an) for p, t, a, an in on_topic},
        )
        ranked = _best(
            "rank_analysed (rule score)",
            lambda: rank_analysed([(p, an) for p, _, _, an in found], rules),
        )
        rows_read = FeatureRows([p.arxiv_id for p, *_ in on_topic], [rows])
        judge = PickScorer(model, prior, sections, rules.weights, texts.reader)
        scored = _best(
            "score: prior + editor, placed (read ahead)",
            lambda: judge.score(ranked, scores, rows_read),
        )
        picks = _best(
            "choose the issue",
            lambda: choose(scored, 12, balance=rules.selection, sections=sections),
        )
        _best(
            f"the why of the {len(shown(scored, picks))} shown",
            lambda: judge.explain([c for c in scored if c.paper.arxiv_id in shown(scored, picks)]),
        )


def _best(label: str, step: Callable[[], T]) -> T:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        found = step()
        times.append(time.perf_counter() - start)
    print(f"  {label:<46}{min(times):6.2f} s")
    return found


if __name__ == "__main__":
    main()
