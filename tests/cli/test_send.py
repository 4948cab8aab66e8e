"""`newsletter send` from the command line: settings checks, dry run, proofs, the summary."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import cli
from tests.support.deliveries import add_issue, add_people
from tests.support.sendgrid_server import API_KEY, SendGridServer
from tests.support.stores import migrated


def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    base = {
        "NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "NEWSLETTER_OUTBOX": str(tmp_path / "box"),
        "NEWSLETTER_CONFIG": str(tmp_path / "none.toml"),
        "SENDGRID_API_KEY": "",
        "SMTP_URL": "",
    }
    result = CliRunner().invoke(cli, list(args), env={**base, **env}, catch_exceptions=False)
    return result.exit_code, result.output


def prepare(tmp_path: Path, people: int = 3) -> None:
    with migrated(f"sqlite:///{tmp_path / 's.db'}") as store:
        add_issue(store)
        add_people(store, people)


def test_without_a_key_the_outbox_is_used_and_needs_no_settings(tmp_path: Path) -> None:
    """No SendGrid key, no SMTP URL: messages land in the outbox, nothing leaves the machine."""
    prepare(tmp_path)
    code, output = run(tmp_path, "send", "--week", "2024-11-27")
    assert code == 0, output
    assert "issue 1 via outbox: sent 3, failed 0, skipped 0" in output
    assert len(list((tmp_path / "box" / "issue-1").glob("*.eml"))) == 3
    assert "sent 0" in run(tmp_path, "send", "--issue", "1")[1]


def test_real_sending_refuses_to_start_without_its_settings(tmp_path: Path) -> None:
    """SendGrid without NEWSLETTER_FROM, _BASE_URL and _SECRET stops before sending anything."""
    prepare(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["send", "--issue", "1", "--backend", "sendgrid"],
        env={
            "NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
            "SENDGRID_API_KEY": "SG.x",
        },
    )
    assert result.exit_code == 1 or result.exception is not None
    message = str(result.exception)
    assert (
        "NEWSLETTER_FROM" in message
        and "NEWSLETTER_BASE_URL" in message
        and "NEWSLETTER_SECRET" in message
    )


def test_dry_run_says_what_would_go_out_and_sends_nothing(tmp_path: Path) -> None:
    """--dry-run counts the audience and batches, shows a few addresses, and records nothing."""
    prepare(tmp_path, people=7)
    code, output = run(tmp_path, "send", "--issue", "1", "--dry-run")
    assert code == 0
    assert "would send to 7 subscribers in 1 batches" in output and "reader0@example.org" in output
    assert not (tmp_path / "box").exists()


def test_a_proof_through_sendgrid_records_nothing(tmp_path: Path) -> None:
    """--test-to sends only to the editor through the configured backend."""
    prepare(tmp_path)
    with SendGridServer() as server:
        code, output = run(
            tmp_path,
            "send",
            "--issue",
            "1",
            "--test-to",
            "editor@news.example",
            SENDGRID_API_KEY=API_KEY,
            SENDGRID_API_HOST=server.url,
            NEWSLETTER_FROM="Ed <editor@news.example>",
            NEWSLETTER_BASE_URL="https://n.example",
            NEWSLETTER_SECRET="s",
        )
        assert code == 0, output
        assert [a for a, _, _ in server.delivered()] == ["editor@news.example"]
    with migrated(f"sqlite:///{tmp_path / 's.db'}") as store:
        assert store.delivery_counts(1) == {}


def test_an_unknown_issue_is_a_clear_error(tmp_path: Path) -> None:
    """Sending a week that was never built says how to build it."""
    prepare(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["send", "--week", "2025-01-06"],
        env={
            "NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
            "NEWSLETTER_OUTBOX": str(tmp_path / "b"),
        },
    )
    assert "no issue for the week of 2025-01-06" in str(result.exception)
