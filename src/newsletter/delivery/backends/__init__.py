"""The interface every sender implements, and what a batch can come back as.

A batch's answer is one of four outcomes, matched where it is settled (delivery/send.py):
the provider took the whole batch (`Accepted`), refused it for good (`Refused`), surely did
not send it (`Requeued`), or it went message by message (`PerMessage`). A backend that sends
message by message (SMTP, the outbox) records each message through the `settle` callback as
it goes, so a crash loses at most the messages on the wire; one that answers for the whole
batch (SendGrid) never calls it. What the provider can tell about a batch a crash left
pending is a `Recovery`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from newsletter.delivery.message import Envelope, Personal, Signer, personal
from newsletter.domain.delivery import Batch


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider took the whole batch: its deliveries are sent."""

    provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """Refused for good (the request itself is wrong, e.g. a 400): its deliveries failed."""

    reason: str


@dataclass(frozen=True, slots=True)
class Requeued:
    """It surely did not go out (a 429, a cancelled batch): its people go back to the queue."""

    reason: str


@dataclass(frozen=True, slots=True)
class PerMessage:
    """Each message was settled as it went, through `settle`: (subscriber, provider id) of
    those sent, (subscriber, error) of those that failed for good. The batch only closes."""

    sent: tuple[tuple[int, str | None], ...] = ()
    failed: tuple[tuple[int, str], ...] = ()


Outcome = Accepted | Refused | Requeued | PerMessage


@dataclass(frozen=True, slots=True)
class Resend:
    """A batch left pending surely did not go out, but for `sent` (subscriber ids that did):
    the others go back to the queue."""

    sent: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Unknowable:
    """Nobody can tell whether a batch left pending went out: never resend it, say why."""

    reason: str


Recovery = Resend | Unknowable

# How a backend records one message as soon as it is settled: (who, provider id, error).
Settle = Callable[[Personal, str | None, str | None], None]


class Backend(Protocol):
    name: str
    batch_size: int
    concurrency: int  # batches in flight at once (SMTP: connections)

    def new_batch_id(self) -> str: ...

    def send(self, envelope: Envelope, batch: Batch, token: Signer, settle: Settle) -> Outcome:
        """Send the batch, each reader with their own links (signed by `token`); a backend
        sending message by message calls `settle` for each and answers PerMessage."""
        ...

    def recover(self, batch: Batch) -> Recovery: ...

    def send_proof(self, envelope: Envelope, people: Sequence[Personal]) -> None: ...

    def close(self) -> None: ...


def send_each(
    envelope: Envelope,
    batch: Batch,
    token: Signer,
    deliver: Callable[[Personal], tuple[str | None, str | None]],
    settle: Settle,
) -> PerMessage:
    """The loop of per-message backends: `deliver` gives (provider id, error) for one person,
    and each answer is settled before the next message."""
    sent: list[tuple[int, str | None]] = []
    failed: list[tuple[int, str]] = []
    for recipient in batch.recipients:
        who = personal(envelope, recipient, token)
        provider_id, error = deliver(who)
        if error is None:
            sent.append((recipient.subscriber_id, provider_id))
        else:
            failed.append((recipient.subscriber_id, error))
        settle(who, provider_id, error)
    return PerMessage(tuple(sent), tuple(failed))
