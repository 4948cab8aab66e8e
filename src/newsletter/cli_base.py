"""What every `newsletter` command shares: the consoles and the context built once per run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from newsletter.config import Settings, load_settings
from newsletter.fetch import Fetcher
from newsletter.store import Store

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Context:
    """What every command needs, built once from the environment and the options."""

    def __init__(self, config: Path | None, today: Callable[[], dt.date] = dt.date.today) -> None:
        overrides: dict[str, Any] = {"config": config} if config else {}
        self.settings: Settings = load_settings(**overrides)
        self.today = today

    def store(self) -> Store:
        return Store(self.settings.database_url)

    def fetcher(self) -> Fetcher:
        return Fetcher.from_settings(self.settings)
