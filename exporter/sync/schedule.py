"""The schedule record every periodic job of an application shares (license sync, user scan,
and any later one): when it runs next, how its last runs went, and the data of the last
success. Its two `record_*` methods own the retry rules, so every job follows the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from exporter.sync.backoff import Failure, backoff
from exporter.sync.clock import Instant

T = TypeVar("T")

# Data older than this many intervals is dropped rather than shown as current.
STALE_FACTOR = 3


@dataclass(slots=True)
class Schedule(Generic[T]):
    interval: float
    next_due: float = 0.0  # monotonic
    in_flight: bool = False
    up: bool | None = None  # None until the first run has finished
    consecutive_failures: int = 0
    snapshot: T | None = None
    last_success: Instant | None = None
    last_attempt: Instant | None = None
    last_duration: float | None = None
    last_error: str | None = None

    def due(self, now: float) -> bool:
        return not self.in_flight and self.next_due <= now

    def record_success(
        self, snapshot: T, started: Instant, finished: Instant, jitter: float
    ) -> None:
        self.snapshot, self.up, self.last_error = snapshot, True, None
        self.consecutive_failures = 0
        self.last_success = self.last_attempt = finished
        self.last_duration = finished.mono - started.mono
        self.next_due = started.mono + self.interval + jitter

    def record_failure(self, failure: Failure, started: Instant, finished: Instant) -> None:
        """Keeps the last good snapshot; backs off, but never sooner than Retry-After, and not
        before the next interval after a failure that a retry cannot fix (401, 403)."""
        self.up, self.last_error = False, f"{failure.reason}: {failure.message}"
        self.consecutive_failures += 1
        self.last_attempt = finished
        self.last_duration = finished.mono - started.mono
        delay = backoff(
            self.interval, self.consecutive_failures, failure.reason, failure.retry_after
        )
        self.next_due = finished.mono + delay

    def hold(self, until: float) -> None:
        """Not before `until` (monotonic): the server asked another job of the same link to wait."""
        self.next_due = max(self.next_due, until)

    def reschedule(self, now: float) -> None:
        """A reload: a job held back longer than its interval (a long Retry-After, backoff of a
        longer old interval) runs within one interval of now."""
        self.next_due = min(self.next_due, now + self.interval)

    def fresh(self, now: float) -> T | None:
        """The last good data, or None once it is older than STALE_FACTOR intervals."""
        if self.snapshot is None or self.last_success is None:
            return None
        if now - self.last_success.mono > STALE_FACTOR * self.interval:
            return None
        return self.snapshot
