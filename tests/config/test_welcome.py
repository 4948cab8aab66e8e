"""`[welcome]` in newsletter.toml: defaults, placeholders checked with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_editor_config
from newsletter.errors import ConfigError


def load(tmp_path: Path, welcome: str) -> object:
    path = tmp_path / "newsletter.toml"
    path.write_text(f"[welcome]\n{welcome}\n", encoding="utf-8")
    return load_editor_config(path).welcome


def test_the_welcome_fills_its_placeholders(tmp_path: Path) -> None:
    found = load(tmp_path, "text = 'Hi from {site}: {title}, {{braces}}'")
    assert found.filled(title="Issue 3", site="LLM Weekly") == (  # type: ignore[attr-defined]
        "Welcome to LLM Weekly: the latest issue",
        ("Hi from LLM Weekly: Issue 3, {braces}",),
    )


@pytest.mark.parametrize(
    ("welcome", "said"),
    [
        ("subject = 'Hello {name}'", "unknown placeholder {name}"),
        ("text = ['{title']", "write {{ and }} for braces"),
        ("subject = '''Two\nlines'''", "the subject is one line"),
        ("enabled = 'sometimes'", "welcome.enabled"),
    ],
)
def test_a_bad_welcome_is_one_clear_error(tmp_path: Path, welcome: str, said: str) -> None:
    with pytest.raises(ConfigError, match="welcome") as error:
        load(tmp_path, welcome)
    assert said in str(error.value)
    if "unknown" in said:
        assert "known: {title}, {site}" in str(error.value)
