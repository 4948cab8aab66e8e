"""The learned models: trained on the shipped labels and the editor's decisions, explained,
never trained on the test week, and quick to take up a new section."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.domain.learning import Action, Decision
from newsletter.domain.papers import Listing, Paper
from newsletter.domain.taxonomy import Section
from newsletter.selection.examples import TEST_WEEK, shipped_examples
from newsletter.selection.learned import FORMAT, Example, FeatureRows, document, train
from newsletter.selection.score import Analyser, PaperReader
from newsletter.selection.sections import DEFAULT_SECTIONS, SectionClassifier
from newsletter.selection.training import current_model, examples, train_and_save
from newsletter.store import Store

REASONING = (
    "Chain-of-thought reasoning for math word problems",
    "We improve the mathematical reasoning of large language models with step-by-step chains of thought.",
)


def place(model: object, title: str, abstract: str) -> object:
    scores = SectionClassifier(DEFAULT_SECTIONS).classify(title, abstract).scores
    return model.place([document(title, abstract)], [scores])[0]  # type: ignore[attr-defined]


def test_the_starting_model_comes_from_the_shipped_labels() -> None:
    found = shipped_examples(DEFAULT_SECTIONS)
    assert {e.week for e in found} == {dt.date(2024, 11, 25), dt.date(2024, 12, 9)}
    assert sum(1 for e in found if e.picked) == 6 and sum(1 for e in found if e.section) > 60
    model = train(found, DEFAULT_SECTIONS)
    placed = place(model, *REASONING)
    assert placed.section == "LLM Reasoning" and "'reasoning'" in placed.why  # type: ignore[attr-defined]
    assert abs(sum(placed.probabilities.values()) - 1) < 1e-3  # type: ignore[attr-defined]


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


def test_each_pick_names_its_strongest_words_and_signals() -> None:
    model = train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS)
    (score,) = model.pick(
        [document(*REASONING)],
        [{"upvotes": 1.0, "topic": 0.8, "kind method": 1.0}],
        [(1.1, "upvotes 0.98 (24 of the day's best 25)")],
    )
    assert 0 < score.probability < 1
    rules, learned = score.parts
    assert rules.name == "rules" and "upvotes 0.98" in rules.detail
    assert learned.name == "learned" and ("upvotes" in learned.detail or "'" in learned.detail)


def test_with_no_picks_to_learn_from_the_rules_decide() -> None:
    hand_only = [e for e in shipped_examples(DEFAULT_SECTIONS) if e.picked is None]
    model = train(hand_only, DEFAULT_SECTIONS)
    (score,) = model.pick([document(*REASONING)], [{}], [(0.8, "rules")])
    assert score.probability == 0.5 and [p.name for p in score.parts] == ["rules"]


def test_an_editors_edits_move_the_pick_model(any_store: Store) -> None:
    """A paper removed at approval scores lower after retraining, one added scores higher."""
    week = dt.date(2025, 1, 20)
    texts = {
        "2501.00001": (
            "Agent benchmark for web navigation",
            "We evaluate LLM agents on web tasks.",
        ),
        "2501.00002": (
            "Scaling laws for data mixtures",
            "We fit scaling laws for pre-training data of LLMs.",
        ),
    }
    any_store.merge(
        [
            Listing(i, t, "hf-daily", abstract=a, listed_on=week, upvotes=10)
            for i, (t, a) in texts.items()
        ]
    )
    before = train_and_save(any_store, DEFAULT_SECTIONS)
    any_store.record_decisions(
        [
            Decision(week, "2501.00001", Action.REMOVED, None, "approval"),
            Decision(week, "2501.00002", Action.ADDED, "LLM Training", "approval"),
        ]
    )
    after = train_and_save(any_store, DEFAULT_SECTIONS)
    assert after.version == before.version + 1  # type: ignore[operator]

    def p(model: object, arxiv_id: str) -> float:
        signals = {"upvotes": 1.0, "topic": 0.5, "kind method": 1.0}
        return model.pick([document(*texts[arxiv_id])], [signals], [(0.9, "")])[0].probability  # type: ignore[attr-defined]

    assert p(after, "2501.00001") < p(before, "2501.00001")
    assert p(after, "2501.00002") > p(before, "2501.00002")


def test_a_new_section_with_a_description_and_examples_is_used_at_once(any_store: Store) -> None:
    """No keywords and no history: its description and example papers are enough."""
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
    assert placed.section == "Vision Language Models"  # type: ignore[attr-defined]
    assert current_model(any_store, sections).version == model.version  # the stored one, reused


@pytest.mark.parametrize("weight", [1.0, 3.0])
def test_examples_keep_their_weight(weight: float) -> None:
    e = Example("1", "t", "a", picked=True, weight=weight)
    assert e.weight == weight and e.text.startswith("t. t. ")


def test_a_stored_model_of_an_older_shape_is_retrained_not_trusted(tmp_path: Path) -> None:
    """After an upgrade the stored model may be of another shape (or not unpickle at all):
    the next build trains a new version instead of failing."""
    with Store(f"sqlite:///{tmp_path / 'n.db'}") as store:
        store.migrate()
        old = train_and_save(store, DEFAULT_SECTIONS)
        old.format = FORMAT - 1
        stale = store.save_model(old, {})
        store.save_model(b"not a model", {})
        fresh = current_model(store, DEFAULT_SECTIONS)
        assert fresh.version == stale + 2 and fresh.format == FORMAT


def test_placing_and_picking_read_each_text_once() -> None:
    model = train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS)
    calls = []
    real = model.vectoriser.transform
    model.vectoriser.transform = lambda docs: calls.append(len(docs)) or real(docs)
    placed, picked = model.judge(
        [document(*REASONING)] * 3, [{}] * 3, [{"upvotes": 1.0}] * 3, [(1.0, "rules")] * 3
    )
    assert calls == [3] and len(placed) == len(picked) == 3
    assert placed[0].section == "LLM Reasoning" and picked[0].parts[-1].name == "learned"


def test_rows_read_ahead_by_the_analyser_are_the_rows_the_model_reads() -> None:
    """The build reads features while it analyses (in worker processes for big weeks): the
    same rows as reading them at the end, found by arXiv id, for on-topic papers only."""
    model = train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS)
    texts = [REASONING, ("Protein folding in yeast", "We study yeast proteins."), REASONING]
    papers = [
        Paper(f"2411.0000{n}", t, a, None, (), (), None, None, None, "", "", None)
        for n, (t, a) in enumerate(texts)
    ]
    with Analyser(PaperReader(DEFAULT_SECTIONS), workers=1, reader=model.reader()) as analyser:
        analyser.submit(papers)
        read = FeatureRows(*analyser.features())
    assert sorted(read.index) == ["2411.00000", "2411.00002"]  # the yeast paper is off topic
    ahead = read.rows(["2411.00002", "2411.00000"])
    now = model.features([document(*REASONING)] * 2)
    assert (ahead != now).nnz == 0
    assert read.rows(["2411.00001"]) is None  # not read ahead: the model reads it itself
