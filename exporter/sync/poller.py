"""Background sync: each application on its own interval, the latest snapshot kept per application.

Scrapes never wait on an upstream: /metrics reads `Poller.states`, which only this module writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from exporter.config.load import Application, Config
from exporter.sources import SOURCES, USER_SCANS, Fetch, Scan
from exporter.sources.http import LinkClient, SSLContexts, build_client
from exporter.sources.model import Snapshot
from exporter.sources.users import ScanSettings
from exporter.sync.backoff import backoff, describe_failure
from exporter.sync.userscans import UserScanState, scan_once

log = logging.getLogger(__name__)

STALE_FACTOR = 3


@dataclass
class AppState:
    """What the exporter knows of one application; read by the collector and the status page."""

    app: Application
    interval: float
    timeout: float
    snapshot: Snapshot | None = None
    last_success: float | None = None
    last_attempt: float | None = None
    last_duration: float | None = None
    up: bool | None = None  # None until the first sync has finished
    last_error: str | None = None
    failures: Counter[str] = field(default_factory=Counter)
    consecutive_failures: int = 0
    next_due: float = 0.0
    in_flight: bool = False
    # User scans, for the types that have them (sources.USER_SCANS); their failures count in
    # `failures` too, but never set `up`: seat numbers stay fresh when a user scan fails.
    users: UserScanState | None = None

    def users_due(self, now: float) -> bool:
        return self.users is not None and self.users.next_due <= now

    def fresh_snapshot(self, now: float) -> Snapshot | None:
        """The last good data, or None once it is older than STALE_FACTOR intervals."""
        if self.snapshot is None or self.last_success is None:
            return None
        if now - self.last_success > STALE_FACTOR * self.interval:
            return None
        return self.snapshot


class Poller:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        sources: Mapping[str, Fetch] = SOURCES,
        contexts: SSLContexts | None = None,
        user_scans: Mapping[str, Scan] = USER_SCANS,
    ) -> None:
        self._clock = clock
        self._rng = rng or random.Random()
        self._sources = sources
        self._user_scans = user_scans
        self._contexts = contexts or SSLContexts()
        self.states: dict[str, AppState] = {}
        # Bumped whenever a sync, scan or reload changes state: /metrics caches per generation.
        self.generation = 0
        self._clients: dict[str, tuple[httpx.AsyncClient, LinkClient]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.config = config
        self._semaphore = asyncio.Semaphore(config.global_.max_concurrent_syncs)
        # A separate limit: a scan of 100,000 users takes minutes and must not delay seat syncs.
        self._scan_semaphore = asyncio.Semaphore(config.global_.max_concurrent_syncs)
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take a (new) config: keep the state of unchanged applications, start the rest afresh."""
        now = self._clock()
        wanted = {app.name: app for app in config.applications}
        for name in list(self.states):
            state = self.states[name]
            new = wanted.get(name)
            if (
                new is None
                or new != state.app
                or config.interval(new) != state.interval
                or config.timeout(new) != state.timeout
                or self._users_changed(config, new, state.users)
            ):
                del self.states[name]
                self._close_client(name)
            elif self._contexts.stale(new.link.tls_config):
                # Rotated CA, certificate or key files: the next sync builds a fresh client.
                self._close_client(name)
        for app in config.applications:
            if app.name not in self.states:
                self.states[app.name] = AppState(
                    app,
                    config.interval(app),
                    config.timeout(app),
                    next_due=now,
                    users=self._users_state(config, app, now),
                )
        if config.global_.max_concurrent_syncs != self.config.global_.max_concurrent_syncs:
            self._semaphore = asyncio.Semaphore(config.global_.max_concurrent_syncs)
            self._scan_semaphore = asyncio.Semaphore(config.global_.max_concurrent_syncs)
        self.config = config
        self.touch()

    def _users_state(self, config: Config, app: Application, now: float) -> UserScanState | None:
        if app.type not in self._user_scans:
            return None
        settings = ScanSettings.from_config(config, app)
        return UserScanState(config.users_interval(app), settings, next_due=now)

    def _users_changed(self, config: Config, app: Application, old: UserScanState | None) -> bool:
        new = self._users_state(config, app, 0.0)
        if new is None or old is None:
            return new is not old
        return (new.interval, new.settings) != (old.interval, old.settings)

    def _client(self, state: AppState) -> LinkClient:
        name = state.app.name
        if name not in self._clients:
            http = build_client(state.app.link, self._contexts, state.timeout)
            link = LinkClient(
                http, state.app.link, state.timeout, self.config.global_.body_size_limit
            )
            self._clients[name] = (http, link)
        return self._clients[name][1]

    def _close_client(self, name: str) -> None:
        pair = self._clients.pop(name, None)
        if pair is not None:
            task = asyncio.ensure_future(pair[0].aclose())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def touch(self) -> None:
        """Something /metrics shows has changed: a sync or scan ended, or the config."""
        self.generation += 1
        self._wake.set()

    def due(self, now: float) -> list[str]:
        return [name for name, s in self.states.items() if not s.in_flight and s.next_due <= now]

    async def sync(self, name: str) -> None:
        state = self.states[name]
        state.in_flight = True
        try:
            async with self._semaphore:
                await self._sync(state)
        finally:
            state.in_flight = False
            self.touch()

    async def _sync(self, state: AppState) -> None:
        app = state.app
        started = self._clock()
        try:
            snapshot = await self._sources[app.type](self._client(state), app)
        except Exception as exc:
            failure = describe_failure(exc, "sync", app.name)
        else:
            finished = self._clock()
            if state.up is False:
                log.info("sync recovered application=%s", app.name)
            state.snapshot, state.last_success, state.up = snapshot, finished, True
            state.last_error, state.consecutive_failures = None, 0
            state.last_attempt, state.last_duration = finished, finished - started
            state.next_due = started + state.interval + self._jitter(state.interval)
            return
        if self.states.get(app.name) is not state:
            return  # removed or replaced by a reload while it ran
        finished = self._clock()
        reason, retry_after = failure.reason, failure.retry_after
        state.up, state.last_error = False, f"{reason}: {failure.message}"
        state.failures[reason] += 1
        state.consecutive_failures += 1
        state.last_attempt, state.last_duration = finished, finished - started
        state.next_due = finished + self._backoff(state, reason, retry_after)
        if retry_after is not None and state.users is not None:
            # One server, one rate limit: the user scan waits as long as the server asked.
            state.users.next_due = max(state.users.next_due, finished + retry_after)

    def _backoff(self, state: AppState, reason: str, retry_after: float | None) -> float:
        return backoff(state.interval, state.consecutive_failures, reason, retry_after)

    def due_scans(self, now: float) -> list[str]:
        """Applications whose user scan is due now.

        Only while the seat sync is up: a failing server is not hit twice as often, and a bad
        password does not count two failed logins towards Atlassian's CAPTCHA lockout.
        """
        return [name for name, s in self.states.items() if _scan_waiting(s) and s.users_due(now)]

    async def scan_users(self, name: str) -> None:
        state = self.states[name]
        users = state.users
        if users is None:
            return
        users.in_flight = True
        try:
            async with self._scan_semaphore:
                scan = self._user_scans[state.app.type]
                await scan_once(state, scan, self._client(state), self._clock, self._jitter)
        finally:
            users.in_flight = False
            self.touch()

    def _jitter(self, interval: float) -> float:
        # Spreads applications that share an interval so they don't all sync in one burst.
        return self._rng.uniform(0, min(0.1 * interval, 30.0))

    async def run_due(self) -> None:
        """Sync and scan every application that is due now and wait for them (tests drive this)."""
        await asyncio.gather(*(self.sync(name) for name in self.due(self._clock())))
        # Then the scans, which a first successful sync may just have made due.
        await asyncio.gather(*(self.scan_users(name) for name in self.due_scans(self._clock())))

    async def run(self) -> None:
        """Start due syncs as tasks, forever; an application never waits for another one."""
        while True:
            self._wake.clear()
            now = self._clock()
            for name in self.due(now):
                self.states[name].in_flight = True
                task = asyncio.create_task(self.sync(name), name=f"sync-{name}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            for name in self.due_scans(now):
                users = self.states[name].users
                assert users is not None
                users.in_flight = True
                task = asyncio.create_task(self.scan_users(name), name=f"users-{name}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            waiting = [s.next_due for s in self.states.values() if not s.in_flight]
            waiting += [
                s.users.next_due
                for s in self.states.values()
                if s.users is not None and _scan_waiting(s)
            ]
            delay = max(0.0, min(waiting, default=now + 60.0) - now)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and the exporter then ignores SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(delay, 60.0)):
                    await self._wake.wait()

    def ready(self) -> bool:
        """Every application has finished its first sync, successfully or not."""
        return all(state.up is not None for state in self.states.values())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for http, _ in self._clients.values():
            await http.aclose()
        self._clients.clear()


def _scan_waiting(state: AppState) -> bool:
    """A user scan that is neither running nor held back by a failing seat sync."""
    return state.users is not None and not state.users.in_flight and state.up is True
