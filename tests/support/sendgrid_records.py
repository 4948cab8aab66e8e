"""What the SendGrid test server records: accepted mail, batches and their scheduled-send status.

Recipients are stored packed (zlib-compressed compact JSON, about 8 bytes a recipient for a
typical newsletter), so a million recipients fit in a few megabytes; `keep_bodies=False` also
drops the parsed bodies.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.support.sendgrid_limits import Recipient

__all__ = ["Accepted", "Batch", "Delivery", "iter_deliveries", "pack_recipients"]

Delivery = tuple[str, dict[str, Any], str | None]  # (address_lower, custom_args, batch_id)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def pack_recipients(recipients: list[Recipient]) -> bytes:
    """The recipients as zlib-compressed JSON `[[addresses...], [custom_args...]]`."""
    addresses = [address for address, _ in recipients]
    args = [custom_args for _, custom_args in recipients]
    return zlib.compress(_COMPACT.encode([addresses, args]).encode(), 1)


@dataclass(frozen=True)
class Accepted:
    """One POST /v3/mail/send the server accepted (202)."""

    message_id: str  # the X-Message-Id it answered
    batch_id: str | None
    send_at: int | None  # the earliest send_at of the body (None: send now)
    accepted_at: float  # server clock
    recipient_count: int
    body: dict[str, Any] | None  # the parsed body; None when keep_bodies=False
    packed: bytes = field(repr=False)

    def recipients(self) -> list[Recipient]:
        """(address_lower, effective custom_args) for every to/cc/bcc of the body."""
        addresses, args = json.loads(zlib.decompress(self.packed))
        return list(zip(addresses, args, strict=True))


@dataclass
class Batch:
    """A batch ID the server issued, with what was sent in it."""

    batch_id: str
    status: str | None = None  # "pause" | "cancel" | None (scheduled sends API)
    messages: int = 0
    earliest_send_at: float | None = None  # of the mail sent with it (accept time if no send_at)

    def add(self, send_time: float) -> None:
        self.messages += 1
        earliest = self.earliest_send_at
        self.earliest_send_at = send_time if earliest is None else min(earliest, send_time)

    def as_status(self) -> dict[str, str]:
        return {"batch_id": self.batch_id, "status": self.status or ""}


def iter_deliveries(accepted: list[Accepted], cancelled: set[str]) -> Iterator[Delivery]:
    """Every recipient of `accepted` whose batch is not in `cancelled`."""
    for record in accepted:
        if record.batch_id is not None and record.batch_id in cancelled:
            continue
        for address, custom_args in record.recipients():
            yield address, custom_args, record.batch_id
