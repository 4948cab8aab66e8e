"""How much should a few weeks of decisions move the prior? The editor's correction's
penalty, measured on the curator weeks.

    .venv/bin/python bench/correction.py

Our editor has one week of picks, too few to measure how strongly their decisions should
correct the prior (`selection/learned_fit.py`, `DEFAULT_C`). The curator's 23 weeks stand
in for an editor here, in three blocks so nothing is judged on what trained it, twice
(forwards in time, and backwards):

- the prior is trained on 11 weeks (its settings chosen by 5-fold cross-validation inside
  them): the first 11, or the last 11;
- the correction is fitted against that prior on the k weeks next to them (k = 1, 3, 6: the
  curator's picks among each week's on-topic candidates, the others left out, as a sent
  issue records them), with each penalty C of the grid, and with C chosen by
  leave-one-week-out as a build does from 3 weeks on;
- both are judged on the 6 weeks at the other end: the picks in the top 12 and top 20 of
  the on-topic candidates, ranked by the prior plus the correction (as a build ranks).

Neither the editor's week 2024-11-25 nor the test week 2024-12-02 is used. The section
classifier learns from the shipped hand labels (their sections only). Prints the picks
found, both ways added up, for each C and k, and for the prior alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from newsletter.config import load_editor_config
from newsletter.demo import DEMO_DIR
from newsletter.domain.issue import Candidate
from newsletter.selection import prior_fit
from newsletter.selection.examples import shipped_examples
from newsletter.selection.learned import Example, SelectionModel
from newsletter.selection.learned_fit import DEFAULT_C, GRID, train
from newsletter.selection.pick import PickScorer
from newsletter.selection.prior import Prior, identity
from newsletter.selection.reading import one_blas_thread
from newsletter.selection.rules import Rules, section_taxonomy
from newsletter.selection.score import rank, rule_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support.curators: the curator weeks

from tests.support.curators import CuratorWeek, curator_weeks  # noqa: E402

PRIOR_WEEKS = 11
EVALUATED = 6
KS = (1, 3, 6)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    started = time.monotonic()
    one_blas_thread()
    editor = load_editor_config(DEMO_DIR / "newsletter.toml")
    sections = section_taxonomy(editor)
    rules = Rules.of(editor, sections)
    weeks = curator_weeks()
    labels = [replace(e, picked=None) for e in shipped_examples(sections) if e.section]
    ranked = {w.start: rank(w.papers, rules) for w in weeks}
    rows: dict[str, list[int]] = {}
    for order in (weeks, weeks[::-1]):  # forwards, then backwards in time
        first, middle, last = order[:PRIOR_WEEKS], order[PRIOR_WEEKS:-EVALUATED], order[-EVALUATED:]
        read = [prior_fit.Week.of(str(w.start), w.papers, w.picks) for w in first]
        prior = prior_fit.fit(read, prior_fit.choose(read))
        on_topic = sum(len(w.picks & {c.paper.arxiv_id for c in ranked[w.start]}) for w in last)
        print(
            f"prior on {_span(first)}; corrections on the first k of {_span(middle)}; judged on "
            f"{_span(last)}: {sum(len(w.picks) for w in last)} picks in the lists, "
            f"{on_topic} on topic"
        )
        alone = SelectionModel([s.name for s in sections], {})
        _add(rows, "none: the prior alone", judged(alone, prior, last, ranked, rules, sections))
        for k in KS:
            decisions = [
                e for w in middle[:k] for e in week_examples(w, ranked[w.start], prior, rules)
            ]
            for c in (*GRID, None):
                if c is None and k < 3:
                    continue
                model = train([*labels, *decisions], sections, prior=identity(prior), c=c)
                fix = model.correction
                label = f"k={k}, C {'leave-one-week-out' if c is None else f'{c:g}'}"
                label += " (default)" if c == DEFAULT_C else ""
                if c is None and fix is not None:
                    print(f"  k={k}: leave-one-week-out chose C {fix.c:g}")
                _add(rows, label, judged(model, prior, last, ranked, rules, sections))
    total = sum(len(w.picks) for w in [*weeks[:EVALUATED], *weeks[-EVALUATED:]])
    print(f"\n{'correction (both ways added up)':<36}{'top 12':>10}{'top 20':>10}")
    for label, (top12, top20) in rows.items():
        print(f"{label:<36}{f'{top12}/{total}':>10}{f'{top20}/{total}':>10}")
    print(f"\n({time.monotonic() - started:.0f} s)")


def _span(weeks: Sequence[CuratorWeek]) -> str:
    start, end = sorted((weeks[0].start, weeks[-1].start))
    return f"{start} … {end}"


def _add(rows: dict[str, list[int]], label: str, found: tuple[int, int]) -> None:
    row = rows.setdefault(label, [0, 0])
    row[0] += found[0]
    row[1] += found[1]


def week_examples(
    week: CuratorWeek, ranked: Sequence[Candidate], prior: Prior, rules: Rules
) -> list[Example]:
    """A week's on-topic candidates as a sent issue records them: the picks, the rest left
    out, each with its signals and the prior's log-odds in the week."""
    logits = prior.score([c.paper for c in ranked])
    return [
        Example(
            c.paper.arxiv_id,
            c.paper.title,
            c.paper.abstract,
            week.start,
            picked=c.paper.arxiv_id in week.picks,
            signals={**c.signals, "rules": rule_score(c.signals, rules.weights)},
            source="curator",
            prior=s.logit,
        )
        for c, s in zip(ranked, logits, strict=True)
    ]


def judged(
    model: SelectionModel,
    prior: Prior,
    weeks: Sequence[CuratorWeek],
    ranked: dict[object, list[Candidate]],
    rules: Rules,
    sections: Sequence[object],
) -> tuple[int, int]:
    """The picks in the top 12 and the top 20 of these weeks, added up."""
    hits = {12: 0, 20: 0}
    for week in weeks:
        judge = PickScorer(model, prior, sections, rules.weights)  # type: ignore[arg-type]
        order = [c.paper.arxiv_id for c in judge.score(ranked[week.start])]
        for n in hits:
            hits[n] += len(week.picks & set(order[:n]))
    return hits[12], hits[20]


if __name__ == "__main__":
    main()
