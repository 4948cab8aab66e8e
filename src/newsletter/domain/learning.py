"""What the models learn from and what they are, as typed values: the editor's decisions
(picked, left out, added, removed, moved, ordered) and a stored model version. No I/O."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    PICKED = "picked"  # in the issue as it went out (or was published)
    LEFT_OUT = "left_out"  # a candidate the editor saw and did not take
    ADDED = "added"  # put in at approval: a strong yes
    REMOVED = "removed"  # taken out at approval: a strong no
    MOVED = "moved"  # put in another section at approval
    # given a place in its section's order at approval (`position`, from 1): kept, not learned
    # from: the models score papers one at a time, and an order within a section is a ranking
    ORDERED = "ordered"


@dataclass(frozen=True, slots=True)
class Decision:
    week_start: dt.date
    arxiv_id: str
    action: Action
    section: str | None
    source: str  # sent | approval | published
    position: int | None = None  # ORDERED: the paper's place in its section, from 1


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A model version as the store keeps it: its format and its text (JSON for every model
    this code writes: `selection/model_file.py`), or why it was refused."""

    version: int
    trained_at: dt.datetime
    summary: dict[str, Any]
    format: str
    body: str | None  # the model's text; None once refused
    refused: str | None = None  # why it is never used
