"""The prior learned from a public curator: shipped as JSON, read without pickle, explained."""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
from pathlib import Path
from typing import Any

import pytest

from newsletter.domain.papers import AnnounceType, Paper, Signal
from newsletter.selection import prior_fit
from newsletter.selection.prior import PRIOR_FILE, PriorFileError, load_prior, score
from tests.support.curators import curator_weeks

MONDAY = dt.date(2024, 11, 25)


def paper(n: int, title: str, abstract: str = "", votes: int = 1, day: int = 0) -> Paper:
    signal = Signal("hf-daily", MONDAY + dt.timedelta(days=day), AnnounceType.NEW, votes, 1, True)
    return Paper(
        f"2411.{n:05d}",
        title,
        abstract,
        1,
        ("A. Author", "B. Author"),
        (),
        None,
        None,
        MONDAY + dt.timedelta(days=day),
        "",
        "",
        None,
        (signal,),
    )


WEEK = [
    paper(1, "Reasoning in large language models with chain-of-thought", "We study LLMs.", 30),
    paper(2, "Text-to-image diffusion for photorealistic portraits", "A diffusion model.", 30),
    paper(3, "A survey of LLM agents and tool use", "We survey LLM agents.", 4, day=1),
    paper(4, "Segmentation of MRI tumors", "", 2, day=1),
]


def test_the_shipped_prior_is_what_training_makes_from_the_curator_weeks() -> None:
    """Retrained from bench/curators with its recorded settings, the prior is the shipped one
    (bench/train_prior.py --check compares the bytes), and its scorer reproduces the fitted
    model's scores on every training paper (`check`)."""
    shipped = load_prior()
    weeks = [prior_fit.Week.of(str(w.start), w.papers, w.picks) for w in curator_weeks()]
    settings = shipped.trained_on["settings"]
    again = prior_fit.fit(weeks, prior_fit.Settings(settings["text"], settings["C"]), check=True)
    assert again.trained_on == shipped.trained_on and again.features == shipped.features
    assert again.words.keys() == shipped.words.keys()
    assert max(abs(a - b) for a, b in zip(again.coef, shipped.coef, strict=True)) < 1e-4
    assert {"2024-11-25", "2024-12-02"}.isdisjoint(shipped.trained_on["weeks"])


def test_each_score_adds_up_from_the_parts_it_names() -> None:
    prior = load_prior()
    found = score(WEEK)
    assert [s.arxiv_id for s in found] == [p.arxiv_id for p in WEEK]
    for s in found:
        assert s.logit == pytest.approx(prior.intercept + sum(p.value for p in s.parts), abs=1e-3)
        assert s.probability == pytest.approx(1 / (1 + math.exp(-s.logit)), abs=1e-4)
        sizes = [abs(p.value) for p in s.parts]
        assert sizes == sorted(sizes, reverse=True)
    words = next(p for p in found[0].parts if p.name == "words")
    assert "'" in words.detail  # the words that counted, by name
    assert "upvotes" in found[0].why or "LLM relevance" in found[0].why


def test_an_llm_paper_outranks_an_equally_voted_image_paper() -> None:
    """What the curator weeks taught: the same votes count for more on an LLM paper."""
    by_id = {s.arxiv_id: s.logit for s in score(WEEK)}
    assert by_id["2411.00001"] > by_id["2411.00002"]
    assert by_id["2411.00003"] > by_id["2411.00004"]


def test_choosing_settings_finds_the_words_that_mark_the_picks() -> None:
    """Weeks whose picks are told apart by a word only: the words' settings win."""
    weeks = []
    for w in range(4):
        papers = [
            paper(100 * w + n, f"{'Zebrafish' if n % 5 == 0 else 'Ordinary'} study {n}", "", 3)
            for n in range(20)
        ]
        picks = {p.arxiv_id for p in papers if p.title.startswith("Zebrafish")}
        weeks.append(prior_fit.Week.of(f"w{w}", papers, picks))
    grid = (prior_fit.Settings("none", 1.0), prior_fit.Settings("title", 1.0))
    chosen = prior_fit.choose(weeks, grid, folds=2)
    assert chosen.text == "title"
    prior = prior_fit.fit(weeks[:3], chosen, check=True)
    assert set(prior_fit.ranked(prior, weeks[3])[:4]) == weeks[3].picks


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PRIOR_FILE.read_text(encoding="utf-8"))
    return data


def _broken(change: str) -> dict[str, Any]:
    data = _shipped()
    if change == "format":
        data["format"] = "sklearn.pickle"
    elif change == "version":
        data["version"] = 99
    elif change == "extra key":
        data["code"] = "__import__('os')"
    elif change == "nan":
        data["features"][0]["coef"] = math.nan
    elif change == "feature missing":
        data["features"].pop()
    elif change == "zero scale":
        data["features"][0]["scale"] = 0
    elif change == "odd word":
        data["words"]["Not A Word"] = {"idf": 1.0, "coef": 1.0}
    elif change == "text":
        data["text"] = "abstract"
    return data


@pytest.mark.parametrize(
    "change",
    ["format", "version", "extra key", "nan", "feature missing", "zero scale", "odd word", "text"],
)
def test_anything_but_the_priors_own_json_is_refused(tmp_path: Path, change: str) -> None:
    path = tmp_path / "prior.json"
    path.write_text(json.dumps(_broken(change)), encoding="utf-8")
    with pytest.raises(PriorFileError, match=r"prior\.json: not a prior: ") as error:
        load_prior(path)
    assert "\n" not in str(error.value)


def test_a_pickle_is_never_loaded(tmp_path: Path) -> None:
    path = tmp_path / "prior.json"
    path.write_bytes(pickle.dumps({"format": "newsletter.prior"}))
    with pytest.raises(PriorFileError, match="cannot read the prior"):
        load_prior(path)
