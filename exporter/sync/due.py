"""The poller's queue of due times: one live entry per (application, job), popped in due order.

A wake-up of the poller costs O(log N) per job it starts, not a scan of every application
(O(N) per finished job, O(N^2) per round at 10,000 applications). Requeueing a job pushes a
new entry and leaves the old one in the heap; an entry whose due time is no longer the job's
is stale and skipped when it comes up.
"""

from __future__ import annotations

import heapq

# (application name, index of the job in Poller.jobs())
Key = tuple[str, int]


class DueQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, str, int]] = []
        self._due: dict[Key, float] = {}  # the live entry's due time per job
        self._sequence = 0  # ties keep their order of arrival

    def __len__(self) -> int:
        return len(self._due)

    def queued(self) -> list[Key]:
        return list(self._due)

    def entries(self) -> int:
        """Heap entries, stale ones included (bounded: tests check it)."""
        return len(self._heap)

    def push(self, key: Key, due: float) -> None:
        if self._due.get(key) != due:
            self._due[key] = due
            self._sequence += 1
            heapq.heappush(self._heap, (due, self._sequence, *key))

    def clear(self) -> None:
        self._heap.clear()
        self._due.clear()

    def pop_due(self, now: float, most: int | None = None) -> list[tuple[Key, float]]:
        """The live entries due at `now` (removed from the queue), in due order; at most
        `most` of them, the rest left queued."""
        popped: list[tuple[Key, float]] = []
        heap = self._heap
        while heap and heap[0][0] <= now and (most is None or len(popped) < most):
            when, _, name, index = heapq.heappop(heap)
            key = (name, index)
            if self._due.get(key) == when:
                del self._due[key]
                popped.append((key, when))
        return popped

    def first(self) -> float | None:
        """The earliest live due time, or None when nothing is queued."""
        heap = self._heap
        while heap and self._due.get((heap[0][2], heap[0][3])) != heap[0][0]:
            heapq.heappop(heap)  # stale
        return heap[0][0] if heap else None
