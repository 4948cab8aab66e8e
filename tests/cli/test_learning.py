"""`newsletter learn` and `newsletter train` end to end, and the issue built after them: the
model version in issue.json, the editor's edits from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.demo import DEMO_CONFIG
from tests.support.paths import FIXTURES


@pytest.fixture
def demo_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(
        cli,
        ["--config", str(DEMO_CONFIG), "ingest", "--since", "2024-11-18", "--until", "2024-12-12"],
    )
    assert done.exit_code == 0, done.output
    return url


def run(*args: str) -> str:
    done = CliRunner().invoke(cli, ["--config", str(DEMO_CONFIG), *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_learn_reads_a_published_issue_and_train_stores_a_new_version(
    demo_store: str, tmp_path: Path
) -> None:
    learned = run("learn", str(FIXTURES / "issue_2024-11-25.txt"))
    assert "issue_2024-11-25.txt: week of 2024-11-25, 6 papers with their sections" in learned
    assert "model v1 (" in learned
    report = json.loads(run("train", "--json"))
    assert report["version"] == 2
    assert report["learned_from"]["picks"] == 12  # the six shipped and the six just imported
    assert set(report["sections_left_one_week_out"]) == {
        "2024-11-25",
        "2024-12-09",
    }  # never 2024-12-02
    out = tmp_path / "out"
    run(
        "build", "--week", "2024-11-25", "--out", str(out),
        "--move", "https://arxiv.org/abs/2411.17116 to ai agents",  # an alias, in any case
        "--order", "LLM Agents: 2411.17116",
        "--note", "Hello, readers.",
    )  # fmt: skip
    issue = json.loads((out / "issue.json").read_text())
    assert issue["model"].startswith("v2 (")
    agents = next(s for s in issue["sections"] if s["name"] == "LLM Agents")
    assert agents["papers"][0]["arxiv_id"] == "2411.17116" and issue["note"] == ["Hello, readers."]
    assert "Hello, readers." in (out / "issue.txt").read_text()


def test_a_typo_in_an_edit_is_one_error_naming_it() -> None:
    done = CliRunner().invoke(
        cli, ["--config", str(DEMO_CONFIG), "build", "--week", "2024-11-25", "--move", "2411.17116"]
    )
    assert done.exit_code != 0 and "'2411.17116' is not a move" in str(done.exception)


def test_learn_names_what_it_could_not_find(demo_store: str, tmp_path: Path) -> None:
    text = (
        FIXTURES / "issue_2024-11-25.txt"
    ).read_text() + "\n6. Other\n6.1. A Paper Nobody Ever Wrote\n"
    (tmp_path / "issue.txt").write_text(text)
    assert "not in the store: 6.1 A Paper Nobody Ever Wrote" in run(
        "learn", str(tmp_path / "issue.txt")
    )


def test_learn_before_ingesting_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    done = CliRunner().invoke(cli, ["learn", str(FIXTURES / "issue_2024-11-25.txt")])
    assert done.exit_code != 0 and "none of its 6 papers is in the store" in str(done.exception)
