"""The second schedule of each application: user scans, slower than seat syncs.

A scan reads every licensed user (minutes for 100,000), so it runs every users_sync_interval
(default 1h) while seat counts stay fresh on sync_interval. It follows the sync rules: backoff,
Retry-After, no early retry after a 401; failures count by reason in sync_failures_total. It
never sets sync_up: a failed user scan does not make seat numbers wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from exporter.sources.http import LinkClient
from exporter.sources.model import UsersSnapshot
from exporter.sources.users import ScanSettings
from exporter.sync.backoff import backoff, describe_failure

if TYPE_CHECKING:
    from exporter.sources import Scan
    from exporter.sync.poller import AppState

log = logging.getLogger(__name__)


@dataclass
class UserScanState:
    """What the exporter knows of one application's users; read by the collector."""

    interval: float
    settings: ScanSettings
    snapshot: UsersSnapshot | None = None
    last_success: float | None = None
    last_attempt: float | None = None
    last_duration: float | None = None
    up: bool | None = None  # None until the first scan has finished
    last_error: str | None = None
    consecutive_failures: int = 0
    next_due: float = 0.0
    in_flight: bool = False

    def fresh_snapshot(self, now: float, stale_factor: float) -> UsersSnapshot | None:
        """The last scan's counts, or None once older than `stale_factor` scan intervals."""
        if self.snapshot is None or self.last_success is None:
            return None
        if now - self.last_success > stale_factor * self.interval:
            return None
        return self.snapshot


async def scan_once(
    state: AppState,
    scan: Scan,
    client: LinkClient,
    clock: Callable[[], float],
    jitter: Callable[[float], float],
) -> None:
    """Run one user scan of `state.app` and record the outcome in `state.users`."""
    app, users = state.app, state.users
    assert users is not None
    started = clock()
    try:
        snapshot = await scan(client, app, users.settings, started)
    except Exception as exc:
        failure = describe_failure(exc, "user scan", app.name)
    else:
        finished = clock()
        if users.up is False:
            log.info("user scan recovered application=%s", app.name)
        users.snapshot, users.last_success, users.up = snapshot, finished, True
        users.last_error, users.consecutive_failures = None, 0
        users.last_attempt, users.last_duration = finished, finished - started
        users.next_due = started + users.interval + jitter(users.interval)
        return
    # A state removed by a reload while this ran is no longer read: recording is harmless.
    finished = clock()
    reason, retry_after = failure.reason, failure.retry_after
    users.up, users.last_error = False, f"{reason}: {failure.message}"
    state.failures[reason] += 1
    users.consecutive_failures += 1
    users.last_attempt, users.last_duration = finished, finished - started
    users.next_due = finished + backoff(
        users.interval, users.consecutive_failures, reason, retry_after
    )
    if retry_after is not None:
        # One server, one rate limit: the seat sync waits as long as the server asked, too.
        state.next_due = max(state.next_due, finished + retry_after)
