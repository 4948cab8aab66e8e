"""Fault injection for the SendGrid test server: scripted answers for the next N requests of a path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tests.support.scripts import ScriptQueue
from tests.support.sendgrid_api import Reply, error_reply
from tests.support.sendgrid_schema import ApiError, api_error

__all__ = ["Fault", "FaultQueue"]

_MESSAGES = {
    400: "bad request",
    413: "content too large",
    429: "too many requests",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


@dataclass(frozen=True)
class Fault:
    """How the server mistreats one request.

    With `status`, it answers that status without processing the request (after `delay`).
    Without, it processes the request normally (so accepted mail is recorded), then waits
    `delay` seconds, then answers, or with `drop` closes the connection without answering.
    """

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[ApiError, ...] = ()  # the `errors` of the body; a default one if empty
    body: bytes | None = None  # a raw body instead of the SendGrid-style JSON
    delay: float = 0.0
    drop: bool = False

    def reply(self) -> Reply:
        """The scripted answer of a fault with a `status`."""
        assert self.status is not None
        if self.body is not None:
            return Reply(self.status, self.body, self.headers)
        errors = self.errors or (api_error(_MESSAGES.get(self.status, "error")),)
        return error_reply(self.status, *errors, headers=self.headers)


class FaultQueue(ScriptQueue[str, Fault]):
    """Per-path FIFO of faults, each for its next N requests; thread-safe."""
