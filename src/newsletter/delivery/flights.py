"""The requests on the wire: up to N batches in flight at once, and batch ids fetched ahead.

Only the sending thread claims and settles (the store sees one writer for the ledger);
the wire threads personalise a batch, send it and hand back its outcome.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Self

from newsletter.delivery.backends import Outcome
from newsletter.domain.delivery import Batch

Work = Callable[[Batch], Outcome]


class Flights:
    """`size` requests in flight, answered in any order; `size` batch ids fetched ahead."""

    def __init__(self, size: int, new_batch_id: Callable[[], str], work: Work) -> None:
        self.size = size
        self._new_id, self._work = new_batch_id, work
        # Ids are fetched beside the sends, so a slot never waits a round trip for one.
        self._pool = ThreadPoolExecutor(2 * size, thread_name_prefix="send")
        self._ids: deque[Future[str]] = deque()
        self._flying: dict[Future[Outcome], Batch] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __len__(self) -> int:
        return len(self._flying)

    @property
    def room(self) -> bool:
        return len(self._flying) < self.size

    def batch_id(self) -> str:
        """A fresh batch id (waits for the oldest fetch), fetching more to keep `size` ahead."""
        while len(self._ids) < self.size + 1:
            self._ids.append(self._pool.submit(self._new_id))
        return self._ids.popleft().result()

    def launch(self, batch: Batch) -> None:
        self._flying[self._pool.submit(self._work, batch)] = batch

    def landed(self) -> tuple[Batch, Outcome]:
        """The next batch to be answered, whichever it is; its request's error is raised here."""
        done, _ = wait(self._flying, return_when=FIRST_COMPLETED)
        future = next(iter(done))
        return self._flying.pop(future), future.result()

    def drain(self) -> list[tuple[Batch, Outcome]]:
        """On the way out (an error, Ctrl-C): what the requests still on the wire came to.

        A request that failed leaves its batch pending, for the next run to settle."""
        found = []
        for future, batch in self._flying.items():
            try:
                found.append((batch, future.result()))
            except Exception:  # noqa: BLE001, S112  the first error is already on its way up
                continue
        self._flying.clear()
        return found
