"""The `newsletter` command: help everywhere, one-line errors, the demo and ingest runs."""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.demo import DEMO_DIR
from tests.support.paths import ROOT


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path + " "))
    return found


@pytest.mark.parametrize("path,command", all_commands(cli), ids=lambda v: str(v))
def test_every_command_has_help_and_is_in_the_command_reference(
    path: str, command: click.Command
) -> None:
    """Each command documents itself with an example and has its section in docs/commands.md."""
    assert command.help and len(command.help.strip()) > 20, f"{path} has no help"
    assert "Example:" in command.help, f"{path} help has no example"
    reference = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    assert f"# `newsletter {path}`" in reference, f"newsletter {path} is not in docs/commands.md"
    result = CliRunner().invoke(cli, [*path.split(), "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_the_command_reference_is_generated_from_the_cli_and_fresh() -> None:
    """docs/commands.md is what docs/gen_commands.py makes of the CLI (and the notes in it)."""
    spec = importlib.util.spec_from_file_location("gen_commands", ROOT / "docs" / "gen_commands.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generator  # its dataclasses look their module up
    spec.loader.exec_module(generator)
    current = generator.REFERENCE.read_text(encoding="utf-8")
    fresh = generator.render(current)
    stale = [
        line
        for line in difflib.unified_diff(current.splitlines(), fresh.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert fresh == current, f"docs/commands.md is stale: run {generator.REGENERATE}\n" + "\n".join(
        stale[:20]
    )


def test_every_command_has_a_heading_in_the_reference_and_a_row_on_the_home_page() -> None:
    reference = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"## `newsletter {name}`" in reference, name
        assert f"| `newsletter {name}" in home, name
    assert "(commands.md)" in home
    assert "(docs/commands.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_newsletter_error_is_one_line_and_a_hint(tmp_path: Path) -> None:
    """A missing config prints `error: …` and `hint: …` on stderr and exits 1."""
    run = _newsletter(tmp_path, "--config", str(tmp_path / "nope.toml"), "ingest")
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith("error: config file not found")
    assert lines[1].startswith("hint: ")
    assert "Traceback" not in run.stderr


def test_the_demo_runs_the_whole_main_job_offline_and_again(tmp_path: Path) -> None:
    """`newsletter demo` ingests, builds the week of 2024-11-25 and sends it to the outbox, twice."""
    for _ in range(2):  # it starts over each time
        run = _newsletter(tmp_path, "demo")
        assert run.returncode == 0, run.stderr
        assert "hf-daily: fetched 325, new 325" in run.stdout
        assert "arxiv-cs-cl: fetched 139, new 92" in run.stdout
        assert "out/demo/2024-11-25/issue.html" in run.stdout
        assert "sent 3, failed 0" in run.stdout
    messages = sorted((tmp_path / "out" / "demo" / "outbox" / "issue-1").glob("*.eml"))
    assert len(messages) == 3
    assert "Important LLMs Papers for the Week from 25/11 to 30/11" in messages[0].read_text()


def test_the_demo_with_events_reports_how_the_issue_did_offline(tmp_path: Path) -> None:
    """`newsletter demo --events 300`: synthetic readers, their events and votes, the report
    page; then `newsletter report` reads the same numbers from the demo store."""
    run = _newsletter(tmp_path, "demo", "--events", "300")
    assert run.returncode == 0, run.stderr
    assert "sent 303, failed 0" in run.stdout and "synthetic events: " in run.stdout
    page = tmp_path / "out" / "demo" / "report-issue-1.html"
    assert "chart-papers" in page.read_text(encoding="utf-8")
    again = subprocess.run(
        [sys.executable, "-m", "newsletter.cli", "report", "--json"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "NEWSLETTER_DATABASE_URL": "sqlite:///data/demo.db"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    found = json.loads(again.stdout)
    assert found["audience"] == 303 and found["unique_opens"] > 0 and found["unique_clicks"] > 0
    assert set(found["clicks_by_promo"]) == {"ebook", "mentoring"}
    assert sum(w["confirmed"] for w in found["list_growth"]) == 300 + 4  # and the demo readers
    votes = found["votes_by_paper"].values()
    assert sum(v["up"] for v in votes) > 0 and sum(v["down"] for v in votes) > 0
    assert "Clicks and votes per paper" in page.read_text(encoding="utf-8")


def test_ingest_twice_changes_nothing(tmp_path: Path) -> None:
    """The second ingest of the same feeds counts every paper unchanged."""
    config = str(DEMO_DIR / "newsletter.toml")
    args = ("--config", config, "ingest", "--since", "2024-11-20", "--until", "2024-12-12")
    assert _newsletter(tmp_path, *args).returncode == 0
    again = _newsletter(tmp_path, *args)
    assert "hf-daily: fetched 325, new 0, updated 0, unchanged 325" in again.stdout


def test_ingests_at_the_same_moment_share_one_sqlite_file(tmp_path: Path) -> None:
    """A daily ingest and a weekly catch-up may start together: each waits its turn, none fails."""
    config = str(DEMO_DIR / "newsletter.toml")
    args = ("--config", config, "ingest", "--since", "2024-11-20", "--until", "2024-12-12")
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _: _newsletter(tmp_path, *args), range(3)))
    assert [run.returncode for run in runs] == [0, 0, 0], [run.stderr for run in runs]
    new = [int(n) for run in runs for n in re.findall(r"new (\d+),", run.stdout)]
    assert sum(new) == 417  # each paper counted new once, by whichever run stored it first
    assert all("417 papers in" in run.stdout for run in runs)


def test_ingest_fails_with_a_reason_when_no_feed_works(tmp_path: Path) -> None:
    """With every source broken, each feed says why and the command exits non-zero."""
    run = _newsletter(tmp_path, "ingest", "--source", f"rss={tmp_path / 'missing.xml'}")
    assert run.returncode == 1
    assert "failed:" in run.stdout
    assert run.stderr.startswith("error: no feed could be ingested")


def test_source_needs_kind_equals_url(tmp_path: Path) -> None:
    """A malformed --source is a usage error naming the known kinds."""
    run = _newsletter(tmp_path, "ingest", "--source", "atom:https://x")
    assert run.returncode == 2
    assert "arxiv-rss, arxiv-api, hf-daily, rss" in run.stderr


def _newsletter(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "NEWSLETTER_DATABASE_URL": f"sqlite:///{cwd / 'n.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "newsletter.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_creates_the_schema_and_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The explicit migration step: a new store gets every table; running it again changes nothing."""
    from tests.support.stores import HEAD

    url = f"sqlite:///{tmp_path / 'new.db'}"
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
    for _ in range(2):
        result = CliRunner().invoke(cli, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert f"{url} is at schema revision {HEAD}" in result.output


def test_subscribers_list_prints_no_control_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name stored before names were cleaned cannot drive the editor's terminal."""
    from sqlalchemy import update

    from newsletter.store.schema import subscribers
    from newsletter.subscribers import membership
    from tests.support.stores import migrated

    url = f"sqlite:///{tmp_path / 's.db'}"
    with migrated(url) as store:
        membership.add(store, "ada@example.org")
        with store.engine.begin() as conn:  # as an older version could have stored it
            conn.execute(update(subscribers).values(name="Ada\x1b]0;owned\x07\x1b[2J\x00"))
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["subscribers", "list"])
    assert result.exit_code == 0 and "ada@example.org  Ada ]0;owned [2J" in result.output
    assert not any(ch in result.output for ch in "\x1b\x07\x00")


def test_one_poisoned_entry_costs_only_itself(tmp_path: Path) -> None:
    """Among the demo's 464 entries, a title with a lone surrogate (JSON's "\\ud800"), an
    abstract with U+FFFF and a title with a bidi override and zero-width spaces: every entry
    and both feeds are stored, exit 0, and the repaired entries are named."""
    import shutil

    shutil.copytree(DEMO_DIR / "feeds", tmp_path / "feeds")
    shutil.copy(DEMO_DIR / "newsletter.toml", tmp_path / "newsletter.toml")
    day = tmp_path / "feeds" / "hf-daily" / "2024-11-25.json"
    entries = json.loads(day.read_text(encoding="utf-8"))
    first, second, third = (entries[n]["paper"] for n in (0, 1, 2))
    first["title"] += "\ud800"
    second["summary"] += "\uffff\U0010ffff"
    third["title"] = "\u202egnp.exe\u202c Attention\u200b Is\u2066 All\u2069 You Need"
    day.write_text(json.dumps(entries), encoding="utf-8")  # "\ud800" as JSON writes it
    args = (
        "--config",
        "newsletter.toml",
        "ingest",
        "--since",
        "2024-11-20",
        "--until",
        "2024-12-12",
    )
    run = _newsletter(tmp_path, *args)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert (
        "hf-daily: fetched 325, new 325, updated 0, unchanged 0, skipped 0, repaired 2"
        in run.stdout
    )
    assert "arxiv-cs-cl: fetched 139, new 92" in run.stdout
    named = [line for line in run.stdout.splitlines() if "invalid characters" in line]
    assert len(named) == 2 and f"hf-daily entry {first['id']}" in named[0]
    assert "2 of 2 feeds ingested; 417 papers in" in run.stdout

    from tests.support.stores import migrated

    with migrated(f"sqlite:///{tmp_path / 'n.db'}") as store:
        stored = [store.get_paper(p["id"]) for p in (first, second, third)]
    assert [p is not None for p in stored] == [True, True, True]
    assert stored[0] and stored[0].title == first["title"][:-1]
    assert stored[1] and not stored[1].abstract.endswith(("\uffff", "\U0010ffff"))
    assert stored[2] and stored[2].title == "gnp.exe Attention Is All You Need"
