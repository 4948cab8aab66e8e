"""Queries on what the models learn from and what they are: the editor's decisions, the
versioned models. The values themselves are in domain/learning.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from newsletter.domain.learning import Action, Decision, StoredModel
from newsletter.store.schema import editor_decisions, models


class LearningQueries:
    """Mixed into Store: the editor's decisions and the models."""

    engine: Engine
    clock: Callable[[], dt.datetime]

    def record_decisions(
        self, decisions: Sequence[Decision], *, replace_source: bool = False
    ) -> None:
        """Keep decisions; with `replace_source`, a week's earlier decisions from the same
        source are dropped first (a re-sent or re-imported issue counts once)."""
        if not decisions:
            return
        now = self.clock()
        with self.engine.begin() as conn:
            if replace_source:
                for week, source in {(d.week_start, d.source) for d in decisions}:
                    conn.execute(
                        delete(editor_decisions).where(
                            editor_decisions.c.week_start == week,
                            editor_decisions.c.source == source,
                        )
                    )
            conn.execute(
                insert(editor_decisions),
                [
                    {
                        "week_start": d.week_start,
                        "arxiv_id": d.arxiv_id,
                        "action": d.action,
                        "section": d.section,
                        "source": d.source,
                        "position": d.position,
                        "decided_at": now,
                    }
                    for d in decisions
                ],
            )

    def decisions(self) -> list[Decision]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(editor_decisions).order_by(editor_decisions.c.id)).all()
        return [
            Decision(r.week_start, r.arxiv_id, Action(r.action), r.section, r.source, r.position)
            for r in rows
        ]

    def save_model(self, body: str, summary: dict[str, Any], *, format: str) -> int:
        """Store a trained model (its JSON `body`) as the next version; its number."""
        with self.engine.begin() as conn:
            done = conn.execute(
                insert(models).values(
                    trained_at=self.clock(), summary=summary, format=format, body=body
                )
            )
        key = done.inserted_primary_key
        assert key is not None
        return int(key[0])

    def latest_model(self) -> StoredModel | None:
        """The newest model not refused."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(models)
                .where(models.c.refused.is_(None))
                .order_by(models.c.version.desc())
                .limit(1)
            ).one_or_none()
        if row is None:
            return None
        return StoredModel(
            row.version, row.trained_at, dict(row.summary), row.format, row.body, row.refused
        )

    def refuse_model(self, version: int, reason: str) -> None:
        """Never use this model again: its text goes, the row stays with the reason."""
        with self.engine.begin() as conn:
            conn.execute(
                update(models).where(models.c.version == version).values(body=None, refused=reason)
            )

    def model_versions(self) -> list[StoredModel]:
        """Every version, oldest first, without their text."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    models.c.version,
                    models.c.trained_at,
                    models.c.summary,
                    models.c.format,
                    models.c.refused,
                ).order_by(models.c.version)
            ).all()
        return [
            StoredModel(r.version, r.trained_at, dict(r.summary), r.format, None, r.refused)
            for r in rows
        ]
