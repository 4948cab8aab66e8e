"""`newsletter init`: a working folder outside the checkout, and nothing overwritten by accident."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import STARTER_CONFIG, load_editor_config, load_settings
from newsletter.config.starter import init_folder
from newsletter.errors import ConfigError


def test_init_writes_the_settings_with_a_fresh_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = init_folder(tmp_path, new_secret=lambda: "s3cret-from-test")
    assert [p.name for p in written] == ["newsletter.toml", ".env"]
    assert (tmp_path / "newsletter.toml").read_text() == STARTER_CONFIG.read_text()
    assert load_editor_config(
        tmp_path / "newsletter.toml"
    ).feeds  # the real feeds, valid as written
    env = (tmp_path / ".env").read_text()
    assert "NEWSLETTER_SECRET=s3cret-from-test\n" in env and "change-me" not in env
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_SECRET", "NEWSLETTER_TEMPLATES", "NEWSLETTER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.secret is not None and settings.secret.get_secret_value() == "s3cret-from-test"
    assert (settings.templates / "email" / "issue.html.j2").is_file()


def test_init_with_templates_copies_them_and_points_env_at_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    init_folder(tmp_path, templates=True)
    assert (tmp_path / "templates" / "email" / "issue.html.j2").is_file()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSLETTER_TEMPLATES", raising=False)
    assert load_settings().templates == Path("templates")


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SENDGRID_API_KEY=SG.mine\n")
    with pytest.raises(ConfigError, match=r"^\.env already in "):
        init_folder(tmp_path)
    assert (tmp_path / ".env").read_text() == "SENDGRID_API_KEY=SG.mine\n"
    assert not (tmp_path / "newsletter.toml").exists()
    init_folder(tmp_path, force=True)
    assert "NEWSLETTER_SECRET=" in (tmp_path / ".env").read_text()


def test_two_inits_give_two_secrets(tmp_path: Path) -> None:
    init_folder(tmp_path / "a")
    init_folder(tmp_path / "b")
    assert (tmp_path / "a" / ".env").read_text() != (tmp_path / "b" / ".env").read_text()


def test_the_command_says_what_it_wrote_and_what_next(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "news")])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'news' / 'newsletter.toml'}" in result.output
    assert "next: edit newsletter.toml and .env" in result.output


def test_every_file_written_under_the_settings_folder_is_its_owners_only(tmp_path: Path) -> None:
    """With umask 000 (the worst case): init, the demo with its events (store, outbox, issue
    files, report page), an import with a rejected row, an export and a report page leave
    only 0600 files in 0700 folders. The .env was never readable by others, not even briefly:
    it is created 0600 (the write goes through the same function as the rest)."""
    import os
    import stat
    import subprocess
    import sys

    home = tmp_path / "home"
    people = tmp_path / "people.csv"  # the owner's own file, outside the folder
    people.write_text("email,name\nada@example.org,Ada\nnot an address,=HYPERLINK(1)\n")

    def newsletter(*args: str, **env: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "newsletter.cli", *args],
            cwd=home if home.exists() else tmp_path,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
            capture_output=True,
            text=True,
            timeout=180,
            preexec_fn=lambda: os.umask(0),
        )
        assert done.returncode == 0, done.stderr

    newsletter("init", str(home))
    newsletter("demo", "--events", "20")
    newsletter("subscribers", "import", str(people), "--rejects", "data/rejects.csv")
    newsletter("subscribers", "export", "--out", "data/list.csv")
    demo = "sqlite:///data/demo.db"
    newsletter("report", "--html", "data/reports/latest.html", NEWSLETTER_DATABASE_URL=demo)
    found = {
        p.relative_to(home).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in home.rglob("*")
    }
    assert {"data/demo.db", "data/newsletter.db", "data/rejects.csv", ".env"} <= set(found)
    assert any(name.endswith(".eml") for name in found)  # (-wal, -shm: gone when closed)
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (0o700 if (home / name).is_dir() else 0o600)
    }
    assert not wrong, wrong
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
