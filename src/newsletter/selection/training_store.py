"""What training reads and keeps in the store (training.py's one door into it): the
editor's decisions, the papers they name, and the versioned models. The store has all of
it; a test can hand training anything else that does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from newsletter.domain.learning import Decision, StoredModel
from newsletter.domain.papers import Paper


class TrainingStore(Protocol):
    def decisions(self) -> list[Decision]: ...

    def record_decisions(
        self, decisions: Sequence[Decision], *, replace_source: bool = False
    ) -> None: ...

    def get_paper(self, arxiv_id: str) -> Paper | None: ...

    def paper_titles(self) -> list[tuple[str, str]]: ...

    def papers_listed_between(self, start: dt.date, end: dt.date) -> list[Paper]: ...

    def latest_model(self) -> StoredModel | None: ...

    def save_model(self, body: str, summary: dict[str, Any], *, format: str) -> int: ...

    def refuse_model(self, version: int, reason: str) -> None: ...
