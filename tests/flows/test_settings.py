"""Secrets for flow runs: the SendGrid key from the environment, or from a Prefect Secret block."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.flow


def test_the_sendgrid_key_can_come_from_a_secret_block(prefect_api: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.settings import SECRET_BLOCK_ENV, settings
    from prefect.blocks.system import Secret

    Secret(value="SG.from-the-block").save("newsletter-sendgrid-test", overwrite=True)
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("SENDGRID_API_KEY", "")
    monkeypatch.setenv(SECRET_BLOCK_ENV, "newsletter-sendgrid-test")
    found = settings()
    assert found.sendgrid_api_key is not None
    assert found.sendgrid_api_key.get_secret_value() == "SG.from-the-block"
    assert "SG.from" not in repr(found) and "SG.from" not in str(found.model_dump())
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.from-the-environment")  # the environment wins
    assert settings().sendgrid_api_key.get_secret_value() == "SG.from-the-environment"  # type: ignore[union-attr]
