"""`newsletter web` as a user runs it: a real process serving the archive."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.paths import ROOT

CLEAN = (
    "SENDGRID_API_KEY",
    "SMTP_URL",
    "NEWSLETTER_SECRET",
    "NEWSLETTER_BASE_URL",
    "SENDGRID_WEBHOOK_PUBLIC_KEY",
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env.update(
        NEWSLETTER_DATABASE_URL=f"sqlite:///{tmp_path / 'web.db'}",
        NEWSLETTER_OUTBOX=str(tmp_path / "outbox"),
        NEWSLETTER_TEMPLATES=str(ROOT / "templates"),
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_newsletter_web_serves_the_archive(tmp_path: Path) -> None:
    """The command starts uvicorn on the given port; the archive and the subscribe form answer."""
    port = _free_port()
    command = [sys.executable, "-m", "newsletter.cli", "web", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "newsletter web did not start"
                time.sleep(0.1)
        assert answer.status_code == 200 and "No issue has been sent yet" in answer.text
        assert "server" not in answer.headers  # no version banner
        assert httpx.get(f"http://127.0.0.1:{port}/subscribe").status_code == 200
    finally:
        server.terminate()
        server.wait(10)


def test_serving_beyond_loopback_needs_a_secret(tmp_path: Path) -> None:
    """Without NEWSLETTER_SECRET, links would be signed with a public default: refuse to listen publicly."""
    run = subprocess.run(
        [sys.executable, "-m", "newsletter.cli", "web", "--host", "0.0.0.0"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 1
    assert run.stderr.startswith("error: serving beyond this machine needs NEWSLETTER_SECRET")
