"""The delivery ledger as the send loop sees it: the few queries a send makes.

The store satisfies `Ledger` (store/deliveries.py holds the SQL); tests/support/ledger.py
keeps an in-memory one with the same semantics, so the send loop and its claim walker are
tested without a database. What the ledger's rows and batches are is in domain/delivery.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from newsletter.domain.delivery import Batch, Claimed, DeliveryStatus, Settlement


class Ledger(Protocol):
    """One row per (issue, subscriber) and the provider batches, as a send uses them."""

    def enqueue(self, issue_number: int) -> int:
        """Queue every active subscriber not queued for the issue yet (fixing its audience)."""
        ...

    def claim(
        self,
        issue_number: int,
        batch_id: str,
        backend: str,
        size: int,
        after: int = 0,
        settle: Sequence[Settlement] = (),
    ) -> Claimed:
        """Up to `size` queued deliveries after subscriber `after` into a new pending batch,
        with earlier batches' answers recorded in the same commit."""
        ...

    def settle(self, settlements: Sequence[Settlement]) -> None: ...

    def delivery_sent(
        self, issue_number: int, subscriber_id: int, provider_id: str | None
    ) -> None: ...

    def delivery_failed(self, issue_number: int, subscriber_id: int, error: str) -> None: ...

    def pending_batches(self, issue_number: int | None = None) -> list[Batch]:
        """Batches claimed and never answered: a crash left their outcome open."""
        ...

    def delivery_counts(self, issue_number: int) -> dict[DeliveryStatus, int]: ...

    def finish_issue(self, issue_number: int) -> bool:
        """The issue is sent once nothing is queued or in flight; whether it is."""
        ...
