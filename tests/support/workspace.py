"""A working folder for the weekly run: a store with three active readers (and one who
left), an outbox, and the weekly tests' newsletter.toml (the demo's bundled feeds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.subscribers.membership import add, unsubscribe
from tests.support.paths import FIXTURES
from tests.support.stores import migrated

CONFIG = FIXTURES / "weekly.toml"
READERS = ("ada@example.org", "grace@example.org", "alan@example.org")
LEFT = "left@example.org"


@dataclass
class Workspace:
    """A store with three active readers (and one who left), an outbox, a working folder."""

    root: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.root / 'store.db'}"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def env(self, config: Path = CONFIG) -> dict[str, str]:
        return {
            "NEWSLETTER_DATABASE_URL": self.database_url,
            "NEWSLETTER_OUTBOX": str(self.outbox),
            "NEWSLETTER_CONFIG": str(config),
            "SENDGRID_API_KEY": "",
            "SMTP_URL": "",
        }

    def mails(self, issue: int) -> list[Path]:
        return sorted((self.outbox / f"issue-{issue}").glob("*.eml"))

    def notice(self, editor: str = "editor@example.org") -> Path:
        return self.outbox / "proofs" / "issue-0" / f"{editor}.eml"


def settings_file(folder: Path, extra: str = "") -> Path:
    """The weekly tests' newsletter.toml copied into `folder` (its feed paths made absolute),
    with `extra` appended: a file a test may change while a served process reads it."""
    text = CONFIG.read_text().replace('url = "../../', f'url = "{CONFIG.parents[2]}/')
    path = folder / "newsletter.toml"
    path.write_text(text + "\n" + extra)
    return path


def make_workspace(root: Path) -> Workspace:
    space = Workspace(root)
    with migrated(space.database_url) as store:
        for email in (*READERS, LEFT):
            add(store, email)
        unsubscribe(store, LEFT)
    return space
