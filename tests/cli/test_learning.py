"""`newsletter learn` and `newsletter train` end to end, and the issue built after them: the
model version in issue.json, the editor's edits from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
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
    ).read_text() + "\n6. LLM Agents\n6.1. A Paper Nobody Ever Wrote\n"
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


def _newsletter(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in its own process: what the editor sees, exit code included."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter.cli", "--config", str(DEMO_CONFIG), *args],
        cwd=cwd,
        env={**os.environ, "NEWSLETTER_DATABASE_URL": f"sqlite:///{cwd / 'store.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_learn_refuses_an_unknown_section_naming_the_known_ones(
    demo_store: str, tmp_path: Path
) -> None:
    """A heading that is no configured section (a typo, an old name) stops the import before
    anything is recorded, from any of the files, with one line listing the sections."""
    good = FIXTURES / "issue_2024-11-25.txt"
    typo = tmp_path / "typo.txt"
    typo.write_text(good.read_text().replace("3. LLM Training", "3. LLM Trainig"))
    run = _newsletter(tmp_path, "learn", str(good), str(typo))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    error, hint = run.stderr.strip().splitlines()
    assert error.startswith(f"error: {typo}: not a section of newsletter.toml: 'LLM Trainig'")
    assert "(known: LLM Progress & Benchmarking, Transformers, LLM Training," in error
    assert hint.startswith("hint: rename the heading")
    assert json.loads(run_json("train"))["learned_from"]["picks"] == 6  # the shipped six only


def test_learn_of_a_file_that_is_not_utf8_is_one_line(demo_store: str, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("1. LLM Training\n1.1. Caf\u00e9 models\n".encode("latin-1"))
    run = _newsletter(tmp_path, "learn", str(latin))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines()[0] == f"error: {latin}: not UTF-8 text (byte 0xe9 on line 2)"


def test_a_paper_of_the_test_week_is_never_learned_whatever_week_it_is_filed_under(
    demo_store: str, tmp_path: Path
) -> None:
    """`learn --week 2024-12-09` with one paper listed in the test week (2024-12-02) and one of
    its own week: only the second is learned."""
    from newsletter.store import Store

    with Store(demo_store) as store:
        test_week = store.papers_listed_between(dt.date(2024, 12, 2), dt.date(2024, 12, 8))[0]
        own_week = store.papers_listed_between(dt.date(2024, 12, 9), dt.date(2024, 12, 15))[0]
    issue = tmp_path / "issue.txt"
    issue.write_text(f"1. LLM Training\n1.1. {test_week.title}\n1.2. {own_week.title}\n")
    assert "2 papers with their sections" in run("learn", "--week", "2024-12-09", str(issue))
    assert json.loads(run_json("train"))["learned_from"]["picks"] == 7  # six shipped, one more


def run_json(command: str) -> str:
    return run(command, "--json")
