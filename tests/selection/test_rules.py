"""The rules the score reads come from newsletter.toml's models, whose defaults are the only ones."""

from __future__ import annotations

import pickle

import pytest

from newsletter.config import EditorConfig
from newsletter.config.editor import KindWeights
from newsletter.domain.taxonomy import PaperKind
from newsletter.selection import reading
from newsletter.selection.reading import Analyser, PaperReader
from newsletter.selection.rules import Rules
from newsletter.selection.score import rank
from newsletter.selection.sections import DEFAULT_SECTIONS
from tests.support.papers import paper

SURVEY = paper(
    "2411.00001",
    "A Survey of Large Language Model Agents",
    "This survey reviews LLM agents and their tools.",
)


def test_every_kind_has_its_weight_in_the_config() -> None:
    assert set(KindWeights.model_fields) == {k.value for k in PaperKind}


def test_the_rules_are_the_editors_settings_as_configured() -> None:
    """No copy: a weight set in newsletter.toml is the weight the score uses."""
    editor = EditorConfig.model_validate(
        {
            "feeds": [{"name": "hf-daily", "kind": "hf-daily", "url": "x", "weight": 2.0}],
            "selection": {"weights": {"kinds": {"survey": 2.5}}},
        }
    )
    rules = Rules.of(editor)
    assert rules.selection is editor.selection and rules.feed_weights == {"hf-daily": 2.0}
    assert rules.sections == DEFAULT_SECTIONS and Rules().selection == EditorConfig().selection
    (survey,) = rank([SURVEY], rules)
    assert survey.kind is PaperKind.SURVEY and survey.section.name == "LLM Progress & Benchmarking"
    assert next(p for p in survey.parts if p.name == "kind").value == 2.5


def test_the_paper_reader_goes_to_worker_processes_and_answers_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Big batches are read in worker processes, each with a copy of the one reader; they
    hand back what a build reads (not the phrases that fired)."""
    reader = PaperReader(DEFAULT_SECTIONS)
    papers = [SURVEY] * 4
    monkeypatch.setattr(reading, "PARALLEL_FROM", 2)
    with Analyser(reader, workers=2) as pooled:
        pooled.submit(papers)
        found = pooled.results()
    for p, analysis in found:
        full = reader.analyse(p.title, p.abstract)
        assert analysis is not None and full is not None
        assert (analysis.topic.is_llm, analysis.topic.score, analysis.kind) == (
            full.topic.is_llm,
            full.topic.score,
            full.kind,
        )
        assert analysis.placed.section == full.placed.section
        assert analysis.placed.scores == full.placed.scores
    assert pickle.loads(pickle.dumps(reader)).analyse(SURVEY.title, None) == reader.analyse(
        SURVEY.title, None
    )
