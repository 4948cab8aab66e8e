"""`newsletter init`: a folder to run the newsletter from, with no source checkout.

An installed wheel carries the starting `newsletter.toml`, `.env.example` and templates;
this writes them out for the editor to adjust, with a fresh link-signing secret.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from newsletter.config.settings import STARTER_CONFIG, STARTER_ENV, TEMPLATES_DIR
from newsletter.errors import ConfigError
from newsletter.private_files import private_folder, write_private

_SECRET_LINE = re.compile(r"^NEWSLETTER_SECRET=.*$", re.MULTILINE)
_TEMPLATES_LINE = re.compile(r"^#? ?NEWSLETTER_TEMPLATES=.*$", re.MULTILINE)


def init_folder(
    folder: Path,
    *,
    force: bool = False,
    templates: bool = False,
    new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
) -> list[Path]:
    """Write newsletter.toml and .env (and templates/ if asked) into `folder`; the paths written.

    Nothing is overwritten unless `force`: an editor's settings are never lost by accident.
    """
    wanted = [folder / "newsletter.toml", folder / ".env"] + (
        [folder / "templates"] if templates else []
    )
    present = [p.name for p in wanted if p.exists()]
    if present and not force:
        raise ConfigError(
            f"{', '.join(present)} already in {folder}", hint="pass --force to overwrite"
        )
    private_folder(folder)
    write_private(wanted[0], STARTER_CONFIG.read_bytes())
    write_private(wanted[1], starter_env(new_secret(), templates))  # 0600 from the start
    if templates:
        shutil.rmtree(wanted[2], ignore_errors=True)
        shutil.copytree(TEMPLATES_DIR, wanted[2])
    return wanted


def starter_env(secret: str, templates: bool) -> str:
    """.env.example with a real secret, and the copied templates switched on."""
    text = _SECRET_LINE.sub(
        f"NEWSLETTER_SECRET={secret}", STARTER_ENV.read_text(encoding="utf-8"), count=1
    )
    if templates:
        text = _TEMPLATES_LINE.sub("NEWSLETTER_TEMPLATES=templates", text, count=1)
    return text
