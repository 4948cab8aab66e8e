"""What matters in a week, over many weeks: each ranker against a public curator's picks.

    .venv/bin/python bench/editorial.py --weeks      (or bench/editorial_weeks.py)

Every week of the curator data (bench/curators/: DAIR.AI's "ML Papers of the Week", 23 weeks
of 2024, with the Hugging Face list of each week), the editor's week 2024-11-25 and the
test week 2024-12-02 (the bundled demo lists) are ranked by:

- upvotes: the week's list by Hugging Face upvotes;
- LLM, then upvotes: papers the topic filter calls LLM papers first, each part by upvotes;
- rules: the project's rule score (selection/score.py `rank`: on-topic papers only);
- prior: the prior learned from the curator (selection/prior.py), over the whole list;
- prior, LLM only: the prior over the rules' on-topic candidates;
- prior + editor: what `newsletter build` ranks by (selection/pick.py): the prior's log-odds
  plus the editor's correction, trained on the shipped labels (the editor's six picks of
  2024-11-25 among them; for the editor's week, without that week: then it has no picks to
  learn from and the prior decides alone), over the on-topic candidates.

For the curator weeks the prior is cross-validated: each week is ranked by a prior trained
on the 22 others, its settings (which words, how much regularisation) chosen by 5-fold
cross-validation inside those 22 (nested: the week ranked never chooses anything); the
editor's correction is fitted against that same prior. The editor's week and the test
week are ranked by the shipped prior (all 23 curator weeks).

Printed: per week and pooled, the curator's in-list picks in each ranking's top 12 and top
20 (recall, with a 95% bootstrap interval over weeks); the picks in the ranking's top 12
beside the picks in the issue of 12 that assembly (selection/balance `choose`) builds from
that ranking, and beside the issue round 1's balance built (kept here to compare: it
traded well-ranked papers for balance), with the weeks where an issue holds fewer picks
than its ranking's top 12; the editor's six picks of 2024-11-25; and for the test week,
which has no picks, how many of each top 12 and top 20 the hand labels call LLM papers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from newsletter.config import load_editor_config
from newsletter.config.editor import SelectionConfig
from newsletter.demo import DEMO_DIR, DEMO_RANGE
from newsletter.domain.issue import Candidate
from newsletter.domain.papers import Paper
from newsletter.domain.taxonomy import Section
from newsletter.feeds.fetch import Fetcher
from newsletter.feeds.ingest import ingest
from newsletter.selection import prior_fit
from newsletter.selection.balance import choose
from newsletter.selection.examples import TEST_WEEK, shipped_examples
from newsletter.selection.learned import SelectionModel
from newsletter.selection.learned_fit import train
from newsletter.selection.pick import PickScorer
from newsletter.selection.prior import Prior, identity, load_prior
from newsletter.selection.prior_text import PriorReader
from newsletter.selection.reading import PaperReader, one_blas_thread
from newsletter.selection.rules import Rules, section_taxonomy
from newsletter.selection.score import force, rank
from newsletter.store import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: the curator weeks, the editor's picks, hand labels

from tests.support.corpus import editor_picks, labels  # noqa: E402
from tests.support.curators import curator_weeks  # noqa: E402

EDITOR_WEEK = dt.date(2024, 11, 25)
SIZE = 12
BUILD = "prior + editor"
RANKERS = ("upvotes", "LLM, then upvotes", "rules", "prior", "prior, LLM only", BUILD)
BOOTSTRAP = 2000
LATE_FROM = dt.date(2024, 9, 23)  # the last six curator weeks, also shown apart


@dataclass(frozen=True, slots=True)
class Judged:
    """One ranking of one week against the picks: hits in its top 12 and 20 and in issues."""

    top12: int
    top20: int
    ranks: tuple[int, ...]  # each pick's place in the ranking (0: not ranked)
    issue: int  # in the issue of 12 that assembly (balance.choose) builds from the ranking
    old: int  # in the issue of 12 round 1's balance built from it
    sections: int  # sections in the issue
    most: int  # papers in its biggest section


@dataclass(frozen=True, slots=True)
class Setup:
    rules: Rules
    sections: tuple[Section, ...]
    reader: PaperReader  # the phrase tables of the configured sections, compiled once
    prior_reader: PriorReader


def editor_model(setup: Setup, prior: Prior, *, without: dt.date | None = None) -> SelectionModel:
    """The editor's model from the shipped labels (without a week), its correction fitted
    against `prior`: what a new store's first build trains."""
    skip = frozenset({without}) if without else frozenset()
    found = shipped_examples(
        setup.sections, skip_weeks=skip, weights=setup.rules.weights, prior=prior
    )
    return train(found, setup.sections, prior=identity(prior))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    started = time.monotonic()
    one_blas_thread()
    editor = load_editor_config(DEMO_DIR / "newsletter.toml")
    sections = section_taxonomy(editor)
    setup = Setup(Rules.of(editor, sections), tuple(sections), PaperReader(sections), PriorReader())
    shipped = load_prior()
    assert not {str(EDITOR_WEEK), str(TEST_WEEK)} & set(shipped.trained_on["weeks"])
    curators(setup)
    late_weeks(setup, editor, shipped)
    print(f"\n({time.monotonic() - started:.0f} s)")


# --- the curator weeks ------------------------------------------------------------------


def curators(setup: Setup) -> None:
    weeks = curator_weeks()
    read = [prior_fit.Week.of(str(w.start), w.papers, w.picks) for w in weeks]
    results: dict[str, list[Judged]] = {name: [] for name in RANKERS}
    print(
        "Curator weeks: the curator's picks in each ranking's top 12 / top 20 "
        "(prior: trained without the week, settings chosen inside the other weeks)"
    )
    print(
        f"{'week':<12}{'list':>5}{'picks':>7}"
        + "".join(f"{r:>18}" for r in RANKERS)
        + "   prior's settings"
    )
    for n, week in enumerate(weeks):
        others = [w for k, w in enumerate(read) if k != n]
        settings = prior_fit.choose(others)
        prior = prior_fit.fit(others, settings)
        found = judge_week(week.papers, week.picks, setup, prior, editor_model(setup, prior))
        for name in RANKERS:
            results[name].append(found[name])
        cells = "".join(f"{found[r].top12:>14} / {found[r].top20:<2}" for r in RANKERS)
        print(
            f"{week.start!s:<12}{len(week.papers):>5}{len(week.picks):>4}/{week.all_picks:<2}{cells}   {settings.label}"
        )
    picks = [len(w.picks) for w in weeks]
    for label, key in (("recall @12", "top12"), ("recall @20", "top20")):
        cells = "".join(
            f"{_recall([getattr(j, key) for j in results[r]], picks):>18}" for r in RANKERS
        )
        print(f"{label:<24}{cells}")
    print(f"{'95% interval':<24}" + "".join(f"{'':>18}" for _ in RANKERS))
    for label, key in (("  @12", "top12"), ("  @20", "top20")):
        cells = "".join(
            f"{_interval([getattr(j, key) for j in results[r]], picks):>18}" for r in RANKERS
        )
        print(f"{label:<24}{cells}")
    split = LATE_FROM
    for label, keep in (
        (f"  before {split}", lambda d: d < split),
        (f"  from {split}", lambda d: d >= split),
    ):
        chosen = [n for n, w in enumerate(weeks) if keep(w.start)]
        cells = "".join(
            f"{_share([results[r][n].top12 for n in chosen], [picks[n] for n in chosen]):>10}"
            f"{_share([results[r][n].top20 for n in chosen], [picks[n] for n in chosen]):>8}"
            for r in RANKERS
        )
        print(f"{label + ' @12 @20':<24}{cells}")
    print(
        f"\nPooled over the curator weeks ({sum(picks)} picks in the lists): picks in the "
        f"ranking's top {SIZE}, in the issue of {SIZE} built from it, and in the issue round "
        "1's balance built"
    )
    assembly(results, picks, [str(w.start) for w in weeks])


def assembly(results: dict[str, list[Judged]], picks: Sequence[int], weeks: Sequence[str]) -> None:
    print(
        f"{'ranker':<20}{'top 12':>8}{'issue':>8}{'weeks fewer':>13}{'round 1':>9}"
        f"{'weeks fewer':>13}{'sections':>10}{'biggest':>9}"
    )
    for name in RANKERS:
        found = results[name]
        sections = [j.sections for j in found]
        print(
            f"{name:<20}{sum(j.top12 for j in found):>8}{sum(j.issue for j in found):>8}"
            f"{sum(1 for j in found if j.issue < j.top12):>13}{sum(j.old for j in found):>9}"
            f"{sum(1 for j in found if j.old < j.top12):>13}"
            f"{min(sections):>6}-{max(sections):<3}{max(j.most for j in found):>9}"
        )
    built = results[BUILD]
    differ = [
        f"{w} {j.issue} vs {j.top12}"
        for w, j in zip(weeks, built, strict=True)
        if j.issue != j.top12
    ]
    print(
        f"\n{BUILD}: picks in the issue of {SIZE} {sum(j.issue for j in built)}/{sum(picks)} "
        f">= picks in the ranking's top {SIZE} {sum(j.top12 for j in built)}/{sum(picks)}; "
        f"weeks where they differ: {', '.join(differ) or 'none'}"
    )


# --- the editor's week and the test week ----------------------------------------------


def late_weeks(setup: Setup, editor, shipped: Prior) -> None:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/bench.db") as store:
        store.migrate()
        ingest(
            editor.feed_specs(), store, since=DEMO_RANGE[0], until=DEMO_RANGE[1], fetcher=Fetcher()
        )
        editor_week = _hf_list(store, EDITOR_WEEK)
        test_week = _hf_list(store, TEST_WEEK)
    picks = {p["arxiv_id"] for p in editor_picks()}
    without = editor_model(setup, shipped, without=EDITOR_WEEK)
    assert without.correction is None  # no other week has the editor's picks
    found = judge_week(editor_week, picks, setup, shipped, without)
    print(
        f"\nThe editor's week {EDITOR_WEEK} ({len(editor_week)} papers listed, "
        f"{len(picks)} picks; never trained on by the prior or the learned model)"
    )
    print(
        f"{'ranker':<20}{'top 12':>8}{'top 20':>8}{'issue':>8}{'round 1':>9}"
        "   the picks' ranks (0: not a candidate)"
    )
    for name in RANKERS:
        j = found[name]
        ranks = " ".join(str(r) for r in j.ranks)
        print(f"{name:<20}{j.top12:>6}/6{j.top20:>6}/6{j.issue:>6}/6{j.old:>7}/6   {ranks}")
    llm = {r["arxiv_id"] for r in labels() if r["week"] == TEST_WEEK.isoformat() and r["is_llm"]}
    found = judge_week(test_week, llm, setup, shipped, editor_model(setup, shipped))
    print(
        f"\nTEST week {TEST_WEEK} ({len(test_week)} papers listed; no picks): how many of each "
        f"ranking's top 12 / top 20 / issue the hand labels call LLM papers ({len(llm)} are)"
    )
    print(f"{'ranker':<20}{'top 12':>8}{'top 20':>8}{'issue':>8}{'round 1':>9}")
    for name in RANKERS:
        j = found[name]
        print(f"{name:<20}{j.top12:>5}/12{j.top20:>5}/20{j.issue:>5}/12{j.old:>6}/12")


def _hf_list(store: Store, start: dt.date) -> list[Paper]:
    """The week's Hugging Face list, as the curator weeks are."""
    papers = store.papers_listed_between(start, start + dt.timedelta(days=6))
    return [p for p in papers if p.hf_url]


# --- ranking and judging one week -------------------------------------------------------


def judge_week(
    papers: Sequence[Paper], picks: set[str], setup: Setup, prior: Prior, model: SelectionModel
) -> dict[str, Judged]:
    """Every ranker's ranking of the week, judged against the picks."""
    return {
        name: _judge(ranked, picks, setup)
        for name, ranked in rankings(papers, setup, prior, model).items()
    }


def rankings(
    papers: Sequence[Paper], setup: Setup, prior: Prior, model: SelectionModel
) -> dict[str, list[Candidate]]:
    """Each ranker's candidates, best first, with a positive score for the assembly to weigh:
    its own (rule score, probability) or, for the upvote orders, 1 for the first down to 1/n."""
    rules = setup.rules
    ranked = rank(papers, rules)
    # off-topic papers too, with a section
    every = [force(p, rules, papers, setup.reader) for p in papers]
    is_llm = {p.arxiv_id: setup.reader.topics.relevance(p.title, p.abstract).is_llm for p in papers}
    scored = {s.arxiv_id: s for s in prior.score(papers, setup.prior_reader.read_all(papers))}

    def by(key: Callable[[Candidate], tuple[object, ...]]) -> list[Candidate]:
        found = sorted(every, key=key)
        return [replace(c, score=(len(found) - n) / len(found)) for n, c in enumerate(found)]

    def by_prior(cands: Sequence[Candidate]) -> list[Candidate]:
        found = [replace(c, score=scored[c.paper.arxiv_id].probability) for c in cands]
        return sorted(found, key=lambda c: (-scored[c.paper.arxiv_id].logit, *_votes(c)))

    judge = PickScorer(model, prior, setup.sections, rules.weights, setup.prior_reader)
    return {
        "upvotes": by(_votes),
        "LLM, then upvotes": by(lambda c: (not is_llm[c.paper.arxiv_id], *_votes(c))),
        "rules": ranked,
        "prior": by_prior(every),
        "prior, LLM only": by_prior(ranked),
        BUILD: judge.score(ranked),
    }


def _votes(c: Candidate) -> tuple[int, str]:
    return (-(c.paper.upvotes or 0), c.paper.arxiv_id)


def _judge(ranked: Sequence[Candidate], picks: set[str], setup: Setup) -> Judged:
    ids = [c.paper.arxiv_id for c in ranked]
    issue = choose(ranked, SIZE, balance=setup.rules.selection, sections=setup.sections)
    old = round_one_balance(ranked, SIZE, setup.rules.selection)
    sizes = Counter(c.section.name for c in issue)
    place = {arxiv_id: n for n, arxiv_id in enumerate(ids, 1)}
    return Judged(
        top12=len(picks & set(ids[:SIZE])),
        top20=len(picks & set(ids[:20])),
        ranks=tuple(sorted(place.get(i, 0) for i in picks)),
        issue=len(picks & {c.paper.arxiv_id for c in issue}),
        old=len(picks & {c.paper.arxiv_id for c in old}),
        sections=len(sizes),
        most=max(sizes.values(), default=0),
    )


def round_one_balance(
    ranked: Sequence[Candidate], size: int, rules: SelectionConfig
) -> list[Candidate]:
    """Round 1's assembly, kept to compare: greedy on the score, each paper already in a
    section making the next one there count `crowding` times less, new sections favoured
    until `sections[0]` are open, none opened past `sections[1]`."""
    fewest, most = rules.sections
    chosen: list[Candidate] = []
    count: Counter[str] = Counter()
    pool = list(ranked)
    while len(chosen) < size and pool:

        def worth(c: Candidate) -> float:
            already = count[c.section.name]
            opened = sum(1 for n in count.values() if n)
            if already == 0 and opened >= most:
                return -1.0
            value = c.score * rules.crowding**already
            return value / rules.crowding if already == 0 and opened < fewest else value

        scored = [(worth(c), -n) for n, c in enumerate(pool)]
        best = max(range(len(pool)), key=scored.__getitem__)
        if scored[best][0] < 0:
            break
        pick = pool.pop(best)
        chosen.append(pick)
        count[pick.section.name] += 1
    return chosen


# --- figures ----------------------------------------------------------------------------


def _recall(hits: Sequence[int], picks: Sequence[int]) -> str:
    return f"{sum(hits) / sum(picks):.2f} ({sum(hits)}/{sum(picks)})"


def _share(hits: Sequence[int], picks: Sequence[int]) -> str:
    return f"{sum(hits)}/{sum(picks)}"


def _interval(hits: Sequence[int], picks: Sequence[int]) -> str:
    """95% bootstrap interval of the pooled recall, resampling weeks."""
    rng = random.Random(0)
    n = len(hits)
    found = []
    for _ in range(BOOTSTRAP):
        draw = [rng.randrange(n) for _ in range(n)]
        total = sum(picks[k] for k in draw)
        if total:
            found.append(sum(hits[k] for k in draw) / total)
    found.sort()
    low = found[math.floor(0.025 * len(found))]
    high = found[min(math.ceil(0.975 * len(found)), len(found) - 1)]
    return f"{low:.2f}-{high:.2f}"


if __name__ == "__main__":
    main()
