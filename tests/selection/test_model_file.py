"""Learned models are stored as JSON of their numbers and read with strict checks: anything
else, a pickle above all, is refused with its reason and never executed; release 0.1's
pickled models are dropped by the migration and retrained."""

from __future__ import annotations

import gzip
import json
import math
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from newsletter.selection import model_file
from newsletter.selection.examples import shipped_examples
from newsletter.selection.learned import SelectionModel, document
from newsletter.selection.learned_fit import train
from newsletter.selection.sections import DEFAULT_SECTIONS
from newsletter.selection.training import MODEL_FORMAT, current_model
from newsletter.store import Store
from tests.support.paths import FIXTURES

RELEASE_0_1 = FIXTURES / "stores" / "release-0.1.sqlite.gz"
TEXT = document("Chain-of-thought reasoning", "We improve the reasoning of large language models.")


@pytest.fixture(scope="module")
def model() -> SelectionModel:
    return train(shipped_examples(DEFAULT_SECTIONS), DEFAULT_SECTIONS, prior="p")


def test_a_model_read_back_decides_exactly_as_the_one_trained(model: SelectionModel) -> None:
    stored = model_file.dumps(model)
    again = model_file.loads(stored)
    assert json.loads(stored)["format"] == "newsletter.selection" and again.prior == "p"
    x, y = model.features([TEXT]), again.features([TEXT])
    assert abs(x - y).max() == 0
    assert model.placed(x, [{}]) == again.placed(y, [{}])
    signals = [{"upvotes": 0.5, "rules": 1.0}]
    assert model.corrected(x, signals, ["LLM Reasoning"]) == again.corrected(
        y, signals, ["LLM Reasoning"]
    )
    assert model_file.dumps(again) == stored


def _broken(model: SelectionModel, change: str) -> str:
    data: dict[str, Any] = json.loads(model_file.dumps(model))
    if change == "format":
        data["format"] = "sklearn.pickle"
    elif change == "version":
        data["version"] = 2
    elif change == "extra key":
        data["__reduce__"] = "os.system"
    elif change == "nan":
        data["correction"]["intercept"] = math.nan
    elif change == "short coef":
        data["section_model"]["coef"][0].pop()
    elif change == "unknown class":
        data["section_model"]["classes"][0] = "Not A Section"
    elif change == "signals":
        data["correction"]["signals"]["code"] = 1.0
    elif change == "odd term":
        data["vocabulary"][0] = "two words and more"
    return json.dumps(data)


@pytest.mark.parametrize(
    "change",
    ["format", "version", "extra key", "nan", "short coef", "unknown class", "signals", "odd term"],
)
def test_anything_but_a_models_own_json_is_refused(model: SelectionModel, change: str) -> None:
    with pytest.raises(model_file.ModelFileError, match="^not a model: ") as error:
        model_file.loads(_broken(model, change))
    assert "\n" not in str(error.value)


class Boom:
    """Unpickling this runs code: the test fails loudly if anything ever does."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (pytest.fail, ("a stored pickle was unpickled",))


def test_a_pickle_in_the_store_is_refused_never_unpickled_and_a_model_retrained(
    any_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written by someone else: a pickle labelled as the old format, and one labelled as
    ours. Neither is unpickled; each is refused with its reason, and a JSON model is trained."""
    payload = pickle.dumps(Boom(), protocol=0)  # text: a text column holds it
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads called"))
    old = any_store.save_model(payload.decode("ascii"), {}, format="pickle")
    assert current_model(any_store, DEFAULT_SECTIONS).version == old + 1
    forged = any_store.save_model(payload.decode("ascii"), {}, format=MODEL_FORMAT)
    fresh = current_model(any_store, DEFAULT_SECTIONS)
    assert fresh.version == forged + 1
    versions = {v.version: v for v in any_store.model_versions()}
    assert "format 'pickle'" in (versions[old].refused or "")
    assert "not JSON" in (versions[forged].refused or "")
    assert (
        versions[fresh.version].refused is None and versions[fresh.version].format == MODEL_FORMAT
    )
    stored = any_store.latest_model()
    assert stored is not None and stored.version == fresh.version
    assert stored.body is not None and json.loads(stored.body)["version"] == model_file.VERSION


def test_the_release_0_1_store_upgrades_its_pickles_dropped_unread(tmp_path: Path) -> None:
    """Migration 0007 keeps release 0.1's two model rows with the reason and without their
    pickled bytes; every other row stays; the next build trains a new version."""
    path = tmp_path / "release.sqlite"
    with gzip.open(RELEASE_0_1) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    tables = ("papers", "signals", "issues", "subscribers", "deliveries", "editor_decisions")
    with Store(f"sqlite:///{path}") as store:
        with store.engine.connect() as conn:
            before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
        store.migrate()
        with store.engine.connect() as conn:
            after = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
            assert "blob" not in {c["name"] for c in inspect(conn).get_columns("models")}
        assert after == before
        old = store.model_versions()
        assert [(v.version, v.format) for v in old] == [(1, "pickle"), (2, "pickle")]
        assert all("never unpickled" in (v.refused or "") for v in old)
        assert store.latest_model() is None
        assert current_model(store, DEFAULT_SECTIONS).version == 3
