"""The interface every sender implements, and what a batch can come back as."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from newsletter.delivery.message import Envelope, Personal, Signer, personal
from newsletter.domain.delivery import Batch


@dataclass(slots=True)
class Outcome:
    """What became of one batch.

    Batch backends (SendGrid) answer for the whole batch: `accepted` with the provider's id,
    `refused` (for good: the request itself is wrong), or `requeue` (it surely did not go
    out: send those people again). Per-message backends (SMTP, outbox) list the
    deliveries that went and those that failed for good; the rest go back to the queue.
    """

    accepted: bool = False
    provider_id: str | None = None
    refused: str | None = None
    requeue: str | None = None
    sent: list[tuple[int, str | None]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class Recovery:
    """What a backend could establish about a batch left pending by a crash."""

    requeue: bool = False  # it surely did not go out: send it again
    sent: list[int] = field(default_factory=list)  # these went out already
    unknown: str | None = None  # cannot tell: leave it in flight and say why


# Per-message backends report each message as it is settled: (who, provider id, error).
Settle = Callable[[Personal, str | None, str | None], None]


class Backend(Protocol):
    name: str
    per_message: bool  # settles each delivery (SMTP, outbox) rather than whole batches
    batch_size: int
    concurrency: int  # batches in flight at once (SMTP: connections)

    def new_batch_id(self) -> str: ...

    def send_at(self) -> int | None: ...

    def send(
        self, envelope: Envelope, batch: Batch, token: Signer, settle: Settle | None = None
    ) -> Outcome:
        """Send the batch, each reader with their own links (signed by `token`)."""
        ...

    def recover(self, batch: Batch) -> Recovery: ...

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None: ...

    def close(self) -> None: ...


def send_each(
    envelope: Envelope,
    batch: Batch,
    token: Signer,
    deliver: Callable[[Personal], tuple[str | None, str | None]],
    settle: Settle | None,
) -> Outcome:
    """The loop of per-message backends: `deliver` gives (provider id, error) for one person."""
    outcome = Outcome()
    for recipient in batch.recipients:
        who = personal(envelope, recipient, token)
        provider_id, error = deliver(who)
        if error is None:
            outcome.sent.append((who.recipient.subscriber_id, provider_id))
        else:
            outcome.failed.append((who.recipient.subscriber_id, error))
        if settle:
            settle(who, provider_id, error)
    return outcome
