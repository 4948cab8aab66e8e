"""`newsletter init`: a folder to run the newsletter from, with no source checkout.

An installed wheel carries the starting `newsletter.toml`, `.env.example` and templates;
this writes them out for the editor to adjust: `newsletter.toml` with every text, promo and
section the issue uses written out (starter_toml.py), and `.env` with a fresh link-signing
secret. Feeds can be local files: a folder of feed documents, or the demo's recorded feeds
copied into the folder.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from newsletter.config.settings import STARTER_CONFIG, STARTER_ENV, TEMPLATES_DIR
from newsletter.config.starter_toml import feeds_from, starter_toml
from newsletter.errors import ConfigError
from newsletter.private_files import private_folder, write_private

DEMO_FEEDS = "feeds"  # where --demo-feeds copies the demo's recorded feeds, in the folder

_SECRET_LINE = re.compile(r"^NEWSLETTER_SECRET=.*$", re.MULTILINE)
_TEMPLATES_LINE = re.compile(r"^#? ?NEWSLETTER_TEMPLATES=.*$", re.MULTILINE)


def init_folder(
    folder: Path,
    *,
    force: bool = False,
    templates: bool = False,
    feeds: Path | None = None,
    demo_feeds: bool = False,
    new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(32),
) -> list[Path]:
    """Write newsletter.toml and .env (and templates/ if asked) into `folder`; the paths written.

    `feeds`: a folder of feed documents to read instead of the real feeds; `demo_feeds`: the
    demo's recorded feeds, copied into `folder`/feeds and read from there. Nothing is
    overwritten unless `force`: an editor's settings are never lost by accident.
    """
    wanted = [folder / "newsletter.toml", folder / ".env"]
    wanted += [folder / "templates"] if templates else []
    wanted += [folder / DEMO_FEEDS] if demo_feeds else []
    present = [p.name for p in wanted if p.exists()]
    if present and not force:
        raise ConfigError(
            f"{', '.join(present)} already in {folder}", hint="pass --force to overwrite"
        )
    if feeds is not None and demo_feeds:
        raise ConfigError("give one of --feeds-from and --demo-feeds")
    private_folder(folder)
    if demo_feeds:
        feeds = _copy(Path(str(resources.files("newsletter") / "demo" / "feeds")), wanted[-1])
    local = feeds_from(feeds, folder) if feeds is not None else None
    write_private(wanted[0], starter_toml(STARTER_CONFIG.read_text(encoding="utf-8"), local))
    write_private(wanted[1], starter_env(new_secret(), templates))  # 0600 from the start
    if templates:
        _copy(TEMPLATES_DIR, wanted[2])
    return wanted


def _copy(source: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


def starter_env(secret: str, templates: bool) -> str:
    """.env.example as the .env it becomes: without its note about copying it, with a real
    secret, and the copied templates switched on."""
    text = STARTER_ENV.read_text(encoding="utf-8")
    if text.startswith("# .env.example"):  # that paragraph is for the checkout's copy
        text = text.partition("\n\n")[2]
    text = _SECRET_LINE.sub(f"NEWSLETTER_SECRET={secret}", text, count=1)
    if templates:
        text = _TEMPLATES_LINE.sub("NEWSLETTER_TEMPLATES=templates", text, count=1)
    return text
