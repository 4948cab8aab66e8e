"""The rate limits of `newsletter web`'s forms: subscribe posts per client, confirmation mails
per mailbox and in all, each counted in this process's memory.

Every table is bounded and, when full, forgets the key hit longest ago: nobody is refused
because strangers filled a table. That cannot clear a mailbox still being counted, since a
mailbox is only counted when a mail is sent and the global cap bounds how many are sent in a
window: the mailbox table is sized to hold them all (`Limits.of`).

IPv6 clients are keyed by /64, the block one subscriber line usually gets; while one /48
(or /32) spreads its posts over many /64s (or /48s) in the window, the whole prefix is one
key, so a flood from one allocation counts as one client.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Literal

from starlette.requests import Request

__all__ = ["ClientKeys", "Limits", "RateLimiter", "Refusal"]

HOUR = 3600.0
MAX_KEYS = 100_000
CONFIRMATION_MAILS_PER_HOUR = 1000


class RateLimiter:
    """At most `limit` hits per key in any `window` seconds: a sliding log per key.

    In memory, per process, for at most `max_keys` keys: a new key over that evicts the key
    hit least recently, so a full table never refuses anyone.
    """

    def __init__(self, limit: int, window: float, *, max_keys: int = MAX_KEYS) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()  # least recently hit first
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> float | None:
        """Count a hit; None when allowed, else the seconds until the next one would be."""
        with self._lock:
            wait = self._wait(key, now)
            if wait is None:
                log = self._hits.get(key)
                if log is None:
                    while len(self._hits) >= self.max_keys:
                        self._hits.popitem(last=False)  # the least recently hit key goes
                    log = self._hits[key] = deque()
                log.append(now)
                self._hits.move_to_end(key)
            return wait

    def wait(self, key: str, now: float) -> float | None:
        """Like `hit` without counting: whether a hit now would be allowed."""
        with self._lock:
            return self._wait(key, now)

    def _wait(self, key: str, now: float) -> float | None:
        log = self._hits.get(key)
        if log is None:
            return None
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) >= self.limit:
            return max(1.0, log[0] + self.window - now)
        return None

    def __len__(self) -> int:
        return len(self._hits)


class ClientKeys:
    """Who is asking, as a rate-limit key: an IPv4 address, an IPv6 /64, or the /48 or /32 it
    belongs to while that prefix has sent from `spread` smaller blocks in the window."""

    LEVELS = ((48, 64), (32, 48))  # (prefix, the blocks counted inside it)

    def __init__(self, window: float, *, spread: int = 8, max_keys: int = MAX_KEYS) -> None:
        self.window, self.spread, self.max_keys = window, spread, max_keys
        self._blocks: OrderedDict[str, OrderedDict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, host: str, now: float) -> str:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host
        if address.version == 4:
            return str(address)
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        key = _network(address, 64)
        with self._lock:
            for prefix, block in self.LEVELS:
                wide = _network(address, prefix)
                if self._seen(wide, _network(address, block), now) >= self.spread:
                    key = wide  # the wider prefix floods: all of it is one client
        return key

    def _seen(self, prefix: str, block: str, now: float) -> int:
        """Note a post from `block` inside `prefix`; how many blocks of it posted lately."""
        blocks = self._blocks.get(prefix)
        if blocks is None:
            while len(self._blocks) >= self.max_keys:
                self._blocks.popitem(last=False)
            blocks = self._blocks[prefix] = OrderedDict()
        self._blocks.move_to_end(prefix)
        blocks[block] = now
        blocks.move_to_end(block)
        while blocks and (
            len(blocks) > self.spread or next(iter(blocks.values())) <= now - self.window
        ):
            blocks.popitem(last=False)  # beyond `spread`, how many more makes no difference
        return len(blocks)


def _network(address: ipaddress.IPv6Address, prefix: int) -> str:
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a confirmation mail is not sent now, and in how many seconds it could be."""

    why: Literal["mailbox", "busy"]
    seconds: float


@dataclass(frozen=True, slots=True)
class Limits:
    """Separate tables, so that posts from many clients cannot push a mailbox's count out."""

    clients: RateLimiter  # subscribe posts per client
    mailboxes: RateLimiter  # confirmation mails per mailbox
    mails: RateLimiter = field(  # confirmation mails in all, per hour
        default_factory=lambda: RateLimiter(CONFIRMATION_MAILS_PER_HOUR, HOUR, max_keys=1)
    )
    networks: ClientKeys = field(default_factory=lambda: ClientKeys(HOUR))

    @classmethod
    def of(
        cls, limit: int, window: float, mails_per_hour: int = CONFIRMATION_MAILS_PER_HOUR
    ) -> Limits:
        # room for every mailbox the global cap lets us mail in one window: none evicted early
        mailboxes = max(MAX_KEYS, int(mails_per_hour * window / HOUR) + 1)
        return cls(
            clients=RateLimiter(limit, window),
            mailboxes=RateLimiter(limit, window, max_keys=mailboxes),
            mails=RateLimiter(mails_per_hour, HOUR, max_keys=1),
            networks=ClientKeys(window),
        )

    def client(self, request: Request, now: float) -> str:
        """The client's key (uvicorn applies a trusted proxy's X-Forwarded-For first)."""
        return self.networks.key(request.client.host if request.client else "unknown", now)

    def mail(self, mailbox: str, now: float) -> Refusal | None:
        """Count a confirmation mail to `mailbox` if both its own limit and the global one
        allow it (None); else say which refused, and for how long. Nothing is counted then."""
        wait = self.mailboxes.wait(mailbox, now)
        if wait is not None:
            return Refusal("mailbox", wait)
        wait = self.mails.wait("all", now)
        if wait is not None:
            return Refusal("busy", wait)
        self.mailboxes.hit(mailbox, now)
        self.mails.hit("all", now)
        return None
