"""Due jobs waiting for a free slot: one FIFO line per kind (license syncs, and the secondary
jobs with their own limit), a task created only when a slot frees.

At start-up every job of every application is due at once. A task per due job, each waiting
on the concurrency semaphore, held 10,000 coroutines, tasks and waiters at 10,000 applications
(1.2 KiB each, growing with N: issue #15); a waiting job is now a tuple in a deque, and at most
`limit` jobs of a kind have a task. The order is the semaphore's: first due, first started.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Slots(Generic[T]):
    def __init__(self, limit: int) -> None:
        self.limit = limit  # jobs of one kind running at once; a reload may change it
        self._waiting: dict[bool, deque[T]] = {False: deque(), True: deque()}
        self._running = {False: 0, True: 0}

    def wait(self, secondary: bool, item: T) -> None:
        self._waiting[secondary].append(item)

    def take(self, live: Callable[[T], bool], most: int | None = None) -> list[tuple[bool, T]]:
        """What may start now (at most `most` items), counted as running until done(); items
        that are no longer `live` (their application was reloaded away) are dropped."""
        out: list[tuple[bool, T]] = []
        for secondary, line in self._waiting.items():
            while line and self._running[secondary] < self.limit:
                if most is not None and len(out) >= most:
                    return out
                item = line.popleft()
                if live(item):
                    self._running[secondary] += 1
                    out.append((secondary, item))
        return out

    def done(self, secondary: bool) -> None:
        self._running[secondary] -= 1

    def waiting(self) -> int:
        return sum(len(line) for line in self._waiting.values())

    def running(self) -> int:
        return sum(self._running.values())

    def clear(self) -> None:
        for line in self._waiting.values():
            line.clear()
