"""docs/configuration.md: every setting, generated from the code by docs/gen_config.py."""

from __future__ import annotations

import difflib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from newsletter.config.editor import EditorConfig
from newsletter.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config", ROOT / "docs" / "gen_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_configuration_page_is_generated_and_fresh(generator: ModuleType) -> None:
    current = generator.REFERENCE.read_text(encoding="utf-8")
    fresh = generator.render(current)
    stale = [
        line
        for line in difflib.unified_diff(current.splitlines(), fresh.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert fresh == current, f"docs/configuration.md is stale: run {generator.REGENERATE}\n" + (
        "\n".join(stale[:20])
    )


def test_every_setting_and_key_is_on_the_page(generator: ModuleType) -> None:
    page = generator.REFERENCE.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"| `{generator.variable_names(name, field)[0]}`" in page, name
    for heading, model, _prefix in generator.tables(EditorConfig, "", top=True):
        assert model is EditorConfig or f"### `{heading}`" in page, heading
        for key, field in model.model_fields.items():
            table = generator._model_of(field.annotation)[0] is not None  # a heading of its own
            assert table or f"| `{key}` |" in page, f"{heading}: {key}"


def test_dotenv_comments_belong_to_the_variables_under_them(generator: ModuleType) -> None:
    text = """# --- Web ---
# Seconds for a request's head,
# then its body.
# A_HEAD=10
A_BODY=30

B_URL=x
# Another way to write it:
# B_URL=y
"""
    rows = generator.env_example(text)
    assert [(g, n, c, e) for g, n, c, _, e in rows] == [
        ("Web", "A_HEAD", ["Seconds for a request's head,", "then its body."], True),
        ("Web", "A_BODY", ["Seconds for a request's head,", "then its body."], False),
        ("Web", "B_URL", [], False),
        ("Web", "B_URL", ["Another way to write it:"], True),
    ]


def test_a_setting_nobody_describes_stops_the_generator(generator: ModuleType) -> None:
    without = "\n".join(
        line
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if "NEWSLETTER_ARXIV_DELAY" not in line
    )
    with pytest.raises(SystemExit, match="NEWSLETTER_ARXIV_DELAY"):
        generator.environment_part(without)
