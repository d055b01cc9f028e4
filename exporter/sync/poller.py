"""Background sync: each application's jobs (license sync, user scan) on their own schedules,
the latest snapshot of each kept per application.

Scrapes never wait on an upstream: /metrics reads `Poller.states`, which only this module writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import httpx

from exporter.apptypes import TYPES, AppType
from exporter.config.targets import Target, Targets
from exporter.sources.http import LinkClient, SSLContexts, build_client
from exporter.sources.model import Snapshot, UsersSnapshot
from exporter.sync.backoff import describe_failure
from exporter.sync.clock import Clock, Instant, SystemClock
from exporter.sync.schedule import Schedule

log = logging.getLogger(__name__)

T = TypeVar("T")
# The longest the loop sleeps without looking again (a reload or a finished job wakes it).
MAX_SLEEP: Final = 60.0


@dataclass
class AppState:
    """What the exporter knows of one application; read by the collector and the status page."""

    target: Target
    sync: Schedule[Snapshot]
    # User scans, for the types that have them and where they are on. Their failures count in
    # `failures` too, but never set `sync.up`: seat numbers stay fresh when a scan fails.
    users: Schedule[UsersSnapshot] | None = None
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.target.name

    def schedules(self) -> list[Schedule[Any]]:
        return [self.sync] if self.users is None else [self.sync, self.users]

    def scan_waiting(self) -> bool:
        """A user scan runs only while the seat sync is up: a failing server is not hit twice
        as often, and a bad password does not count two failed logins towards Atlassian's
        CAPTCHA lockout."""
        return self.users is not None and not self.users.in_flight and self.sync.up is True


def new_state(target: Target, now: float) -> AppState:
    users = None if target.users is None else Schedule[UsersSnapshot](target.users.interval, now)
    return AppState(target, Schedule[Snapshot](target.interval, now), users)


class Poller:
    def __init__(
        self,
        targets: Targets,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        types: Mapping[str, AppType[Any]] = TYPES,
        contexts: SSLContexts | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._types = types
        self._contexts = contexts or SSLContexts()
        self.states: dict[str, AppState] = {}
        # Bumped whenever a job or reload changes state: /metrics caches per generation.
        self.generation = 0
        self._clients: dict[str, tuple[httpx.AsyncClient, LinkClient]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.targets = targets
        self._semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
        # A separate limit: a scan of 100,000 users takes minutes and must not delay seat syncs.
        self._scan_semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
        self.apply(targets)

    def apply(self, targets: Targets) -> None:
        """Take (new) targets: keep the state of unchanged applications, start the rest afresh."""
        now = self.clock.monotonic()
        wanted = {target.name: target for target in targets.targets}
        for name, state in list(self.states.items()):
            if wanted.get(name) != state.target:
                del self.states[name]
                self._close_client(name)
            else:
                for schedule in state.schedules():
                    schedule.reschedule(now)
        for target in targets.targets:
            if target.name not in self.states:
                self.states[target.name] = new_state(target, now)
        if targets.max_concurrent_syncs != self.targets.max_concurrent_syncs:
            self._semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
            self._scan_semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
        self.targets = targets
        self.touch()

    def _client(self, target: Target) -> LinkClient:
        name = target.name
        if name not in self._clients:
            http = build_client(target.link, self._contexts, target.timeout)
            link = LinkClient(http, target.link, target.timeout, target.body_size_limit)
            self._clients[name] = (http, link)
        return self._clients[name][1]

    def _close_client(self, name: str) -> None:
        pair = self._clients.pop(name, None)
        if pair is not None:
            self._spawn(pair[0].aclose(), f"close-{name}")

    def touch(self) -> None:
        """Something /metrics shows has changed: a job ended, or the config."""
        self.generation += 1
        self._wake.set()

    def due(self, now: float) -> list[str]:
        return [name for name, s in self.states.items() if s.sync.due(now)]

    def due_scans(self, now: float) -> list[str]:
        """Applications whose user scan is due now (see AppState.scan_waiting)."""
        return [
            name
            for name, s in self.states.items()
            if s.users is not None and s.scan_waiting() and s.users.due(now)
        ]

    async def sync(self, name: str) -> None:
        state = self.states[name]
        entry = self._types[state.target.type]
        client = self._client(state.target)
        work = entry.fetch(client, state.target.app)
        await self._run(state, state.sync, "sync", self._semaphore, work)

    async def scan_users(self, name: str) -> None:
        state = self.states[name]
        scan, users = self._types[state.target.type].scan, state.users
        if scan is None or users is None or state.target.users is None:
            return
        settings = state.target.users.settings
        client = self._client(state.target)
        work = scan(client, state.target.app, settings, self.clock.time())
        await self._run(state, users, "user scan", self._scan_semaphore, work)

    async def _run(
        self,
        state: AppState,
        schedule: Schedule[T],
        what: str,
        semaphore: asyncio.Semaphore,
        work: Awaitable[T],
    ) -> None:
        """One run of one job: record its outcome in `schedule`, whatever the work raises."""
        schedule.in_flight = True
        due = schedule.next_due
        try:
            async with semaphore:
                started = Instant.now(self.clock)
                try:
                    snapshot = await work
                except Exception as exc:
                    failure = describe_failure(exc, what, state.name)
                    finished = Instant.now(self.clock)
                    schedule.record_failure(failure, started, finished)
                    state.failures[failure.reason] += 1
                    if failure.retry_after is not None:
                        # One server, one rate limit: every job of the link waits as asked.
                        for other in state.schedules():
                            other.hold(schedule.next_due)
                    return
                if schedule.up is False:
                    log.info("%s recovered application=%s", what, state.name)
                jitter = self._jitter(schedule.interval)
                schedule.record_success(snapshot, started, Instant.now(self.clock), jitter)
        finally:
            if asyncio.iscoroutine(work):
                work.close()  # never awaited when cancelled while waiting for the semaphore
            if schedule.next_due == due:
                # Recording itself failed (a bug): never leave a job due now, or the loop spins.
                schedule.next_due = self.clock.monotonic() + schedule.interval
            schedule.in_flight = False
            self.touch()

    def _jitter(self, interval: float) -> float:
        # Spreads applications that share an interval so they don't all sync in one burst.
        return self._rng.uniform(0, min(0.1 * interval, 30.0))

    async def run_due(self) -> None:
        """Run every job that is due now and wait for them (tests drive this)."""
        now = self.clock.monotonic()
        await asyncio.gather(*(self.sync(name) for name in self.due(now)))
        # Then the scans, which a first successful sync may just have made due.
        now = self.clock.monotonic()
        await asyncio.gather(*(self.scan_users(name) for name in self.due_scans(now)))

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start_due(self, now: float) -> None:
        for name in self.due(now):
            self.states[name].sync.in_flight = True
            self._spawn(self.sync(name), f"sync-{name}")
        for name in self.due_scans(now):
            users = self.states[name].users
            assert users is not None
            users.in_flight = True
            self._spawn(self.scan_users(name), f"users-{name}")

    def _next_wake(self, now: float) -> float:
        waiting = [s.sync.next_due for s in self.states.values() if not s.sync.in_flight]
        waiting += [s.users.next_due for s in self.states.values() if s.users and s.scan_waiting()]
        return min(max(0.0, min(waiting, default=now + MAX_SLEEP) - now), MAX_SLEEP)

    async def run(self) -> None:
        """Start due jobs as tasks, forever; an application never waits for another one."""
        while True:
            self._wake.clear()
            now = self.clock.monotonic()
            self._start_due(now)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and the exporter then ignores SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._next_wake(now)):
                    await self._wake.wait()

    def ready(self) -> bool:
        """Every application has finished its first sync, successfully or not."""
        return all(state.sync.up is not None for state in self.states.values())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for http, _ in self._clients.values():
            await http.aclose()
        self._clients.clear()
