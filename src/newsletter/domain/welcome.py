"""The welcome mail's ledger, as typed values. No I/O.

A welcome mail (a short text and the latest sent issue) goes once per subscriber: its row is
recorded before the mail is handed to the backend and settled after, so a crash or a second
confirmation never sends it twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class WelcomeStatus(StrEnum):
    PENDING = "pending"  # recorded, handed to the backend, no answer recorded: never resent
    SENT = "sent"
    FAILED = "failed"  # surely not sent (refused, unreachable): `subscribers add --welcome` retries
    UNKNOWN = "unknown"  # the provider's answer was lost: it may have gone, never resent

    @property
    def final(self) -> bool:
        """Whether a later welcome must not be tried: only a failed one may be."""
        return self is not WelcomeStatus.FAILED


@dataclass(frozen=True, slots=True)
class WelcomeRecord:
    """The ledger's row of one subscriber's welcome mail."""

    subscriber_id: int
    issue_number: int | None
    status: WelcomeStatus
    backend: str
    created_at: dt.datetime
    updated_at: dt.datetime
    provider_id: str | None = None
    error: str | None = None
