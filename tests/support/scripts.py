"""Scripted faults for the test servers: per-key FIFOs of items, each for its next N uses."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
T = TypeVar("T")


@dataclass
class _Entry(Generic[T]):
    item: T
    left: int


class ScriptQueue(Generic[K, T]):
    """Thread-safe: servers take from it on their own threads while tests add to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[K, deque[_Entry[T]]] = {}

    def add(self, key: K, item: T, times: int) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queues.setdefault(key, deque()).append(_Entry(item, times))

    def take(self, key: K) -> T | None:
        """The item for the next use of `key`, if one is scripted."""
        with self._lock:
            queue = self._queues.get(key)
            if not queue:
                return None
            head = queue[0]
            head.left -= 1
            if head.left == 0:
                queue.popleft()
            return head.item

    def pending(self, key: K | None = None) -> int:
        """How many uses are still scripted (for `key`, or in all)."""
        with self._lock:
            queues = self._queues.values() if key is None else [self._queues.get(key, deque())]
            return sum(entry.left for queue in queues for entry in queue)

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
