"""The learned models: trained on the shipped labels and the editor's decisions, added to
the prior as its correction, explained, never trained on the test week."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import pytest

from newsletter.config.editor import WeightsConfig
from newsletter.domain.issue import Candidate
from newsletter.domain.learning import Action, Decision
from newsletter.domain.papers import AnnounceType, Listing, Paper, Signal
from newsletter.selection import reading
from newsletter.selection.examples import TEST_WEEK, shipped_examples
from newsletter.selection.learned import Example, FeatureRows, document
from newsletter.selection.learned_fit import DEFAULT_C, train
from newsletter.selection.pick import PickScorer
from newsletter.selection.prior import shipped_prior
from newsletter.selection.reading import Analyser, PaperReader
from newsletter.selection.rules import Rules
from newsletter.selection.score import rank
from newsletter.selection.sections import DEFAULT_SECTIONS, SectionClassifier
from newsletter.selection.training import current_model, examples, train_and_save
from newsletter.selection.vectors import Vectoriser
from newsletter.store import Store
from tests.support.corpus import demo_papers

REASONING = (
    "Chain-of-thought reasoning for math word problems",
    "We improve the mathematical reasoning of large language models with step-by-step chains of thought.",
)


def place(model: object, title: str, abstract: str) -> str:
    scores = SectionClassifier(DEFAULT_SECTIONS).classify(title, abstract).scores
    return model.place([document(title, abstract)], [scores])[0].section  # type: ignore[attr-defined,no-any-return]


def paper(n: int, title: str, abstract: str, votes: int = 5, day: dt.date | None = None) -> Paper:
    day = day or dt.date(2025, 1, 20)
    signal = Signal("hf-daily", day, AnnounceType.NEW, votes, 1, True)
    arxiv_id = f"2501.{n:05d}"
    return Paper(arxiv_id, title, abstract, 1, ("A",), (), None, None, day, "", "", None, (signal,))


def test_the_starting_model_comes_from_the_shipped_labels() -> None:
    found = shipped_examples(DEFAULT_SECTIONS)
    assert {e.week for e in found} == {dt.date(2024, 11, 25), dt.date(2024, 12, 9)}
    assert sum(1 for e in found if e.picked) == 6 and sum(1 for e in found if e.section) > 60
    judged = [e for e in found if e.picked is not None]
    assert all(e.prior is not None and "rules" in e.signals for e in judged)
    model = train(found, DEFAULT_SECTIONS)
    assert place(model, *REASONING) == "LLM Reasoning"
    x = model.features([document(*REASONING)])
    assert "'reasoning'" in model.section_words(x, 0, "LLM Reasoning")
    (placed,) = model.placed(x, [{}])
    assert abs(sum(placed.probabilities.values()) - 1) < 1e-3
    assert model.correction is not None and model.correction.c == DEFAULT_C  # one week of picks


def test_no_example_of_the_test_week_ever_reaches_training(any_store: Store) -> None:
    """Decisions about the week of 2024-12-02 are kept, but never learned from."""
    any_store.merge(
        [
            Listing(
                "2412.00001",
                "A paper of the test week",
                "hf-daily",
                abstract="About LLMs.",
                listed_on=TEST_WEEK,
            )
        ]
    )
    any_store.record_decisions(
        [Decision(TEST_WEEK, "2412.00001", Action.PICKED, "LLM Training", "sent")]
    )
    assert len(any_store.decisions()) == 1
    assert all(e.week != TEST_WEEK for e in examples(any_store, DEFAULT_SECTIONS))
    assert all(e.week != TEST_WEEK for e in shipped_examples(DEFAULT_SECTIONS))


def scorer(model: object) -> PickScorer:
    return PickScorer(model, shipped_prior(), DEFAULT_SECTIONS, WeightsConfig())  # type: ignore[arg-type]


def week_of(*papers: Paper) -> list[Candidate]:
    return rank(list(papers), Rules(), workers=1)


def test_each_pick_is_the_priors_log_odds_plus_the_editors_correction_each_explained() -> None:
    """score = sigmoid(prior + editor); the why names what each contributed."""
    model = train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS)
    judge = scorer(model)
    ranked = week_of(
        paper(1, *REASONING, votes=30), paper(2, "LLM agents for the web", "Agents.", 3)
    )
    scored = judge.score(ranked)
    first = next(c for c in scored if c.paper.arxiv_id == "2501.00001")
    parts = {p.name: p for p in first.parts}
    prior = shipped_prior()
    fix = model.correction
    assert fix is not None
    total = prior.intercept + parts["prior"].value + fix.intercept + parts["editor"].value
    assert first.score == pytest.approx(1 / (1 + math.exp(-total)), abs=1e-3)
    assert first.why == "prior {:+.2f} · editor {:+.2f} · section (LLM Reasoning)".format(
        parts["prior"].value, parts["editor"].value
    )  # numbers only until explained: thousands of candidates are never read
    (explained,) = judge.explain([first])
    assert explained.why.startswith(f"prior {parts['prior'].value:+.2f} (")
    assert "area LLM Reasoning +" in explained.why and " · editor " in explained.why
    assert "section (LLM Reasoning: words " in explained.why and "'reasoning'" in explained.why


def test_with_no_picks_to_learn_from_the_prior_decides_alone() -> None:
    hand_only = [e for e in shipped_examples(DEFAULT_SECTIONS) if e.picked is None]
    model = train(hand_only, DEFAULT_SECTIONS)
    assert model.correction is None
    (scored,) = scorer(model).score(week_of(paper(1, *REASONING)))
    assert [p.name for p in scored.parts] == ["prior", "section"]
    logit = shipped_prior().intercept + scored.parts[0].value
    assert scored.score == pytest.approx(1 / (1 + math.exp(-logit)), abs=1e-4)


SALMON = ("Salmon-themed prompting for large language models", "We prompt LLMs with salmon.")
CROWD = 24  # candidates a week besides the editor's pick


def crowd(w: int) -> list[tuple[str, str]]:
    """Real papers of the demo lists, different every week, with an abstract."""
    found = [(p["title"], p["abstract"]) for p in demo_papers() if p["abstract"]]
    return found[w * CROWD : (w + 1) * CROWD]


def salmon_week(w: int) -> list[Listing]:
    """A week in which the editor picks the salmon paper, as upvoted as most."""
    monday = dt.date(2025, 1, 6) + dt.timedelta(weeks=w)
    texts = [(f"{SALMON[0]} {w}", SALMON[1]), *crowd(w)]
    return [
        Listing(f"25{w:02d}.{n:05d}", title, "hf-daily", abstract=abstract, listed_on=monday,
                upvotes=10 + (n or CROWD // 2), on_hugging_face=True)
        for n, (title, abstract) in enumerate(texts)
    ]  # fmt: skip


def test_the_editors_decisions_outweigh_the_prior_as_they_accumulate(any_store: Store) -> None:
    """An editor who always picks the week's paper on a topic the prior knows nothing of:
    after one week such a paper with few upvotes still ranks low; after six the editor's
    correction, its penalty chosen by leaving weeks out, puts it first, and the why names
    the word."""
    ranks = {}
    decisions: list[Decision] = []
    for weeks in (1, 6):
        for w in range(len({d.week_start for d in decisions}), weeks):
            listings = salmon_week(w)
            any_store.merge(listings)
            decisions += [
                Decision(
                    item.listed_on,  # type: ignore[arg-type]
                    item.arxiv_id,
                    Action.PICKED if n == 0 else Action.LEFT_OUT,
                    "LLM Training" if n == 0 else None,
                    "sent",
                )
                for n, item in enumerate(listings)
            ]
        any_store.record_decisions(decisions, replace_source=True)
        model = train_and_save(any_store, DEFAULT_SECTIONS, weights=WeightsConfig())
        week = [paper(1, f"{SALMON[0]} again", SALMON[1], 1)]  # a quiet week for it
        week += [paper(n, t, a, 10 + n) for n, (t, a) in enumerate(crowd(7), 2)]
        judge = scorer(model)
        scored = judge.score(week_of(*week))
        ranks[weeks] = [c.paper.arxiv_id for c in scored].index("2501.00001") + 1
        if weeks == 6:
            assert model.correction is not None
            # six weeks of these decisions and the shipped labels' week
            assert model.correction.chosen_by.startswith("leave-one-week-out over 7 weeks")
            (top,) = judge.explain([c for c in scored if c.paper.arxiv_id == "2501.00001"])
            assert "'salmon'" in top.why
    assert ranks[1] > 3 and ranks[6] == 1


def test_a_new_section_with_a_description_and_examples_is_used_at_once(any_store: Store) -> None:
    """No keywords and no history: its description and example papers are enough."""
    from newsletter.domain.taxonomy import Section

    vlm = Section(
        "Vision Language Models",
        "Models that see and read: vision-language models, visual "
        "question answering, image understanding with LLMs.",
        examples=("2411.90001", "2411.90002"),
    )
    any_store.merge(
        [
            Listing(
                "2411.90001",
                "A vision-language model for chart understanding",
                "hf-daily",
                abstract="We train a vision-language model on charts and images.",
                listed_on=dt.date(2024, 11, 25),
            ),
            Listing(
                "2411.90002",
                "Visual question answering with multimodal LLMs",
                "hf-daily",
                abstract="Images and text: a vision-language model answers visual questions.",
                listed_on=dt.date(2024, 11, 25),
            ),
        ]
    )
    sections = (*DEFAULT_SECTIONS[:-1], vlm, DEFAULT_SECTIONS[-1])
    model = current_model(any_store, sections)
    placed = place(
        model,
        "A vision-language model for document images",
        "We present a vision-language model that reads charts and images and answers visual questions.",
    )
    assert placed == "Vision Language Models"
    assert current_model(any_store, sections).version == model.version  # the stored one, reused


@pytest.mark.parametrize("weight", [1.0, 3.0])
def test_examples_keep_their_weight(weight: float) -> None:
    e = Example("1", "t", "a", picked=True, weight=weight)
    assert e.weight == weight and e.text.startswith("t. t. ")


def test_scoring_reads_each_text_once(monkeypatch: pytest.MonkeyPatch) -> None:
    model = train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS)
    calls: list[int] = []
    real = Vectoriser.rows
    monkeypatch.setattr(
        Vectoriser, "rows", lambda self, docs: calls.append(len(docs)) or real(self, docs)
    )
    scored = scorer(model).score(week_of(*(paper(n, *REASONING) for n in range(3))))
    assert calls == [3] and len(scored) == 3
    assert scored[0].section.name == "LLM Reasoning" and scored[0].parts[1].name == "editor"


def test_rows_read_ahead_by_the_analyser_are_the_rows_the_model_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The build reads features while it analyses, in worker processes for big weeks: the
    same rows as reading them at the end, found by arXiv id, for on-topic papers only."""
    model = train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS)
    texts = [REASONING, ("Protein folding in yeast", "We study yeast proteins."), REASONING]
    papers = [replace(paper(n, t, a), arxiv_id=f"2411.0000{n}") for n, (t, a) in enumerate(texts)]
    monkeypatch.setattr(reading, "PARALLEL_FROM", 2)
    reader = model.reader()
    assert reader is not None
    with Analyser(PaperReader(DEFAULT_SECTIONS), 2, reader) as analyser:
        analyser.submit(papers)
        read = FeatureRows(*analyser.features())
    assert sorted(read.index) == ["2411.00000", "2411.00002"]  # the yeast paper is off topic
    ahead = read.rows(["2411.00002", "2411.00000"])
    now = model.features([document(*REASONING)] * 2)
    assert abs(ahead - now).max() < 1e-12
    assert read.rows(["2411.00001"]) is None  # not read ahead: the model reads it itself
