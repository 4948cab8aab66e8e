"""How close does the selector come to the editor? The week of 2024-11-25.

    .venv/bin/python bench/picks.py [--picks tests/fixtures/picks_week_2024-11-25.jsonl]

Ingests the bundled demo feeds into a fresh store, ranks the week, and reports how many
of the editor's six picks the issue holds at sizes 6 and 12, how many are among the top
20 candidates, and how many land in the editor's section. Nothing here is tuned to these
six papers; this only measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from pathlib import Path

from newsletter.config import load_editor_config
from newsletter.demo import DEMO_DIR, DEMO_RANGE
from newsletter.domain.week import Week
from newsletter.feeds.fetch import Fetcher
from newsletter.feeds.ingest import ingest
from newsletter.issue.build import section_taxonomy, selection_rules
from newsletter.selection.score import pick, rank
from newsletter.store import Store

DEFAULT_PICKS = Path(__file__).resolve().parents[1] / "tests/fixtures/picks_week_2024-11-25.jsonl"


def same_section(ours: str, editors: str) -> bool:
    """The editor's "LLM Quantization" is our "LLM Quantization & Optimization"."""
    return ours == editors or ours.startswith(editors + " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--picks", type=Path, default=DEFAULT_PICKS)
    args = parser.parse_args()
    picks = [
        json.loads(line) for line in args.picks.read_text(encoding="utf-8").splitlines() if line
    ]
    editor = {p["arxiv_id"]: p["section"] for p in picks}
    editor = load_editor_config(DEMO_DIR / "newsletter.toml")
    sections = section_taxonomy(editor)
    week = Week.containing(dt.date(2024, 11, 25))
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/bench.db") as store:
        store.migrate()  # opening a store changes nothing: migrating is a step
        ingest(
            editor.feed_specs(), store, since=DEMO_RANGE[0], until=DEMO_RANGE[1], fetcher=Fetcher()
        )
        papers = store.papers_listed_between(week.start, week.end)
        rules = selection_rules(editor, sections)
        ranked = rank(papers, rules)
        position = {c.paper.arxiv_id: n for n, c in enumerate(ranked, 1)}
        print(
            f"week {week.start} … {week.end}: {len(papers)} papers listed, {len(ranked)} candidates"
        )
        for size in (6, 12):
            chosen = {
                c.paper.arxiv_id for c in pick(ranked, selection_rules(editor, sections, size=size))
            }
            print(f"picks held at size {size:>2}:   {len(chosen & editor.keys())} of {len(editor)}")
        top20 = {c.paper.arxiv_id for c in ranked[:20]}
        print(f"picks in the top 20:     {len(top20 & editor.keys())} of {len(editor)}")
        placed = {c.paper.arxiv_id: c.section for c in ranked}
        agree = sum(1 for i, s in editor.items() if i in placed and same_section(placed[i], s))
        print(f"in the editor's section: {agree} of {len(editor)}")
        print()
        for arxiv_id, section in editor.items():
            ours = placed.get(arxiv_id, "(not a candidate)")
            mark = "=" if same_section(ours, section) else "≠"
            print(
                f"  #{position.get(arxiv_id, '-')!s:>3} {arxiv_id}  editor: {section:<28} {mark} ours: {ours}"
            )


if __name__ == "__main__":
    main()
