"""`newsletter init`: a working folder outside the checkout with nothing hidden (every text,
promo and section of the issue written out, local feeds, a .env that reads as itself with a
working example for every backend), and nothing overwritten by accident."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import STARTER_CONFIG, Settings, load_editor_config, load_settings
from newsletter.config.editor import DEFAULT_PROMOS, SelectionConfig, TextsConfig
from newsletter.config.starter import init_folder
from newsletter.delivery.backends.smtp import SMTPTarget
from newsletter.demo import DEMO_DIR
from newsletter.domain.papers import SourceKind
from newsletter.errors import ConfigError
from newsletter.selection.sections import DEFAULT_SECTIONS, sections_from_config


def test_init_writes_the_settings_with_a_fresh_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = init_folder(tmp_path, new_secret=lambda: "s3cret-from-test")
    assert [p.name for p in written] == ["newsletter.toml", ".env"]
    assert (tmp_path / "newsletter.toml").read_text().startswith(STARTER_CONFIG.read_text())
    assert load_editor_config(
        tmp_path / "newsletter.toml"
    ).feeds  # the real feeds, valid as written
    env = (tmp_path / ".env").read_text()
    assert "NEWSLETTER_SECRET=s3cret-from-test\n" in env and "change-me" not in env
    assert "Copy to .env" not in env and ".env.example" not in env  # it reads as the .env it is
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


def test_init_writes_every_text_promo_and_section_the_issue_uses(tmp_path: Path) -> None:
    """newsletter.toml holds, written out, exactly what a build would use without them (the
    same texts, promos and sections), and shows [selection]'s defaults commented out."""
    init_folder(tmp_path)
    written = (tmp_path / "newsletter.toml").read_text(encoding="utf-8")
    config = load_editor_config(tmp_path / "newsletter.toml")
    assert config.texts == TextsConfig() and config.promos == list(DEFAULT_PROMOS)
    assert config.sections is not None
    assert sections_from_config(config.sections) == DEFAULT_SECTIONS
    for field in TextsConfig.model_fields:  # nothing of what goes out is left out
        assert f"\n{field} = " in written, field
    for name in ("[texts]", "[[promos]]", "[[sections]]", "# [selection]", "# size = 12"):
        assert name in written
    assert config.selection == SelectionConfig()  # shown, not pinned


def test_init_reads_feeds_from_a_folder_of_documents(tmp_path: Path) -> None:
    """--feeds-from: dated Hugging Face lists become one feed read by {date}, an arXiv RSS
    document an arxiv-rss feed; paths inside the folder are written relative to it, and
    `newsletter ingest` reads them."""
    feeds = tmp_path / "home" / "feeds"
    shutil.copytree(DEMO_DIR / "feeds", feeds)
    (feeds / "blog.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>A blog</title>'
        "<item><title>x</title><link>https://huggingface.co/papers/2411.15124</link></item>"
        "</channel></rss>"
    )
    init_folder(tmp_path / "home", feeds=feeds)
    found = {f.name: f for f in load_editor_config(tmp_path / "home" / "newsletter.toml").feeds}
    assert {n: f.kind for n, f in found.items()} == {
        "hf-daily": SourceKind.HF_DAILY,
        "arxiv-cs.CL": SourceKind.ARXIV_RSS,
        "blog": SourceKind.RSS,
    }
    text = (tmp_path / "home" / "newsletter.toml").read_text()
    assert 'url = "feeds/hf-daily/{date}.json"' in text and "rss.arxiv.org" not in text
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(tmp_path / "home" / "newsletter.toml"),
            "ingest",
            "--since",
            "2024-11-25",
            "--until",
            "2024-11-26",
        ],  # fmt: skip
        env={"NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"},
    )
    assert result.exit_code == 0, result.output
    assert "hf-daily: fetched" in result.output and "arxiv-cs.CL: fetched" in result.output


def test_init_with_demo_feeds_copies_them_into_the_folder(tmp_path: Path) -> None:
    init_folder(tmp_path, demo_feeds=True)
    assert (tmp_path / "feeds" / "arxiv" / "cs.CL.xml").is_file()
    urls = [f.url for f in load_editor_config(tmp_path / "newsletter.toml").feeds]
    assert urls == [f"{tmp_path}/feeds/hf-daily/{{date}}.json", f"{tmp_path}/feeds/arxiv/cs.CL.xml"]
    with pytest.raises(ConfigError, match="feeds already in"):
        init_folder(tmp_path, demo_feeds=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no feed documents"):
        init_folder(tmp_path / "x", feeds=tmp_path / "empty")


def test_every_example_in_the_env_file_works_as_written(tmp_path: Path) -> None:
    """Each setting line of the written .env, and each commented-out example once its # is
    removed, is read by the settings as it is (every backend's included); the SMTP examples
    parse, a local relay's without STARTTLS."""
    init_folder(tmp_path)
    env = (tmp_path / ".env").read_text()
    examples = re.findall(r"(?m)^#? ?([A-Z][A-Z0-9_]+=\S.*)$", env)
    keys = {line.partition("=")[0] for line in examples}
    assert {"SMTP_URL", "SENDGRID_API_KEY", "NEWSLETTER_OUTBOX", "NEWSLETTER_DATABASE_URL"} <= keys
    smtp = []
    for line in examples:
        one = tmp_path / "one.env"
        one.write_text(line + "\n")
        settings = Settings(_env_file=one)  # type: ignore[call-arg]
        if line.startswith("SMTP_URL="):
            assert settings.smtp_url is not None
            smtp.append(SMTPTarget.parse(settings.smtp_url.get_secret_value()))
    relay = next(t for t in smtp if t.host == "127.0.0.1")
    assert not relay.starttls and not relay.implicit_tls and relay.port == 25
    assert any(t.implicit_tls and t.cafile for t in smtp) and any(t.starttls for t in smtp)
    assert "?tls=none" in env and "PREFECT_SERVER_ANALYTICS_ENABLED=false" in env
