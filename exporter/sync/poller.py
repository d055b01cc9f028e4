"""Background sync: each application's jobs (license sync, user scan) on their own schedules,
the latest snapshot of each kept per application.

Scrapes never wait on an upstream: /metrics reads `Poller.states`, which only this module writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Generic, TypeVar

import anyio
import httpx

from exporter.apptypes import TYPES, AppType
from exporter.config.targets import Target, Targets
from exporter.sources.checkpoint import Checkpoints
from exporter.sources.http import LinkClient, SSLContexts, build_client
from exporter.sources.model import AppsSnapshot, Snapshot, SourceError, UsersSnapshot
from exporter.sync.backoff import describe_failure
from exporter.sync.clock import Clock, Instant, SystemClock
from exporter.sync.due import DueQueue
from exporter.sync.schedule import Schedule
from exporter.sync.slots import Slots

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_FAILURES: Final[Mapping[str, int]] = MappingProxyType({})
# The longest the loop sleeps without looking again (a reload or a finished job wakes it).
MAX_SLEEP: Final = 60.0
# Bursts are cut into turns of the event loop, so whatever else waits for this loop (a scrape's
# render, readiness, a reload) gets in between: at start-up every job of 10,000 applications is
# due at once, and taking them in one go held the loop for 0.1 s, the first 64 job starts
# (about 1.4 ms each: a client, a connection) for another 0.09 s, while the first scrape waited
# behind them (issue #15). Per turn: at most DUE_PER_TURN due jobs are taken from the queue and
# at most STARTS_PER_TURN of them get their task; the rest follow in the next turns.
DUE_PER_TURN: Final = 256
STARTS_PER_TURN: Final = 8
# Seconds prepare() may spend building SSL contexts before listening (see there).
PREPARE_BUDGET: Final = 0.25


@dataclass(slots=True)  # slots: a misspelt field is an error, not a new attribute
class AppState:
    """What the exporter knows of one application; read by the collector and the status page."""

    target: Target
    sync: Schedule[Snapshot]
    # User scans, for the types that have them and where they are on. Their failures count in
    # `failures` too, but never set `sync.up`: seat numbers stay fresh when a scan fails.
    users: Schedule[UsersSnapshot] | None = None
    # Counts per failure reason: one shared empty mapping until the first failure (an empty
    # Counter per application was 0.9 MiB at 10,000); count_failure() makes the Counter.
    failures: Mapping[str, int] = field(default_factory=lambda: NO_FAILURES)
    # Marketplace apps from UPM (jira, confluence, bitbucket, where on): secondary like scans.
    apps: Schedule[AppsSnapshot] | None = None
    # Where a failed paged read resumes; a new target gets a new state, so none carries over.
    checkpoints: Checkpoints = field(default_factory=Checkpoints)

    @property
    def name(self) -> str:
        return self.target.name

    def count_failure(self, reason: str) -> None:
        # Counter(), not Counter[str](): calling the alias stores __orig_class__ in a dict.
        counts: Counter[str] = self.failures if isinstance(self.failures, Counter) else Counter()
        counts[reason] += 1
        self.failures = counts

    def schedules(self) -> list[Schedule[Any]]:
        return [s for s in (self.sync, self.users, self.apps) if s is not None]


def new_state(target: Target, now: float) -> AppState:
    # Schedule(...), not Schedule[T](...): calling the subscripted alias stores it on every
    # instance (__orig_class__), 2.7 MiB at 10,000 applications.
    sync: Schedule[Snapshot] = Schedule(target.interval, now)
    users: Schedule[UsersSnapshot] | None = None
    if target.users is not None:
        users = Schedule(target.users.interval, now)
    apps: Schedule[AppsSnapshot] | None = None
    if target.apps is not None:
        apps = Schedule(target.apps.interval, now)
    return AppState(target, sync, users, apps=apps)


@dataclass(frozen=True)
class Job(Generic[T]):
    """One periodic job of one application: what it is called in logs, its schedule, and the
    work of one run. Every job but the license sync is secondary: it runs only while the
    license sync is up, so a failing server is not hit twice as often and a bad password does
    not count two failed logins towards Atlassian's CAPTCHA lockout."""

    what: str
    schedule: Schedule[T]
    work: Callable[[LinkClient], Awaitable[T]]
    secondary: bool


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
        # `is None`: an SSLContexts with no context yet is falsy (it has a length).
        self._contexts = SSLContexts() if contexts is None else contexts
        self.states: dict[str, AppState] = {}
        # Bumped whenever a job or reload changes state: /metrics caches per generation.
        self.generation = 0
        self.epoch = 0  # bumped by configuration changes and reloads alone
        self._clients: dict[str, tuple[httpx.AsyncClient, LinkClient]] = {}
        self._queue = DueQueue()  # what run() waits for (sync/due.py)
        self._tasks: set[asyncio.Task[None]] = set()
        self._starting: asyncio.Handle | None = None  # _start_some, when it is scheduled
        self._wake = asyncio.Event()
        self.targets = targets
        self._semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
        # A separate limit: a scan of 100,000 users takes minutes and must not delay seat syncs.
        self._scan_semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
        # run() starts a job's task only when its kind has a free slot (sync/slots.py).
        self._slots: Slots[tuple[AppState, Job[Any]]] = Slots(targets.max_concurrent_syncs)
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
                if self._contexts.stale(state.target.link.tls_config):
                    # Rotated CA, certificate or key files: the next sync builds a fresh client.
                    self._close_client(name)
        for target in targets.targets:
            if target.name not in self.states:
                self.states[target.name] = new_state(target, now)
        if targets.max_concurrent_syncs != self.targets.max_concurrent_syncs:
            self._semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
            self._scan_semaphore = asyncio.Semaphore(targets.max_concurrent_syncs)
            self._slots.limit = targets.max_concurrent_syncs
        self.targets = targets
        self._requeue_all()
        self.touch(config=True)

    async def prepare(self) -> None:
        """Pays before listening what the first job would pay while the first scrape waits
        behind it on this loop (75 ms, issue #15): the SSL context of each distinct TLS
        setting (loading the CA store: 26 ms each), httpcore, which httpx imports at its first
        client (21 ms), and anyio's asyncio backend, which httpcore imports at its first
        connection (28 ms). A context that cannot be built is left to the syncs to report, and
        so are the contexts beyond PREPARE_BUDGET: hundreds of distinct CA or certificate
        files would otherwise hold back listening (and health checks) for seconds."""
        # Real time, not self.clock: the budget is for start-up as the operator waits for it.
        deadline = time.perf_counter() + PREPARE_BUDGET
        for tls in {state.target.link.tls_config for state in self.states.values()}:
            if time.perf_counter() >= deadline:
                break
            with contextlib.suppress(SourceError):
                self._contexts.get(tls)
        importlib.import_module("httpcore")
        await anyio.sleep(0)

    def _client(self, state: AppState) -> LinkClient:
        target, name = state.target, state.name
        if name not in self._clients:
            http = build_client(target.link, self._contexts, target.timeout)
            link = LinkClient(
                http, target.link, target.timeout, target.body_size_limit, state.checkpoints
            )
            self._clients[name] = (http, link)
        return self._clients[name][1]

    def _close_client(self, name: str) -> None:
        pair = self._clients.pop(name, None)
        if pair is not None:
            self._spawn(pair[0].aclose(), f"close-{name}")

    def touch(self, *, config: bool = False) -> None:
        """Something /metrics shows has changed: a job ended, or (`config`) the configuration
        or its reload status, which /metrics shows at once rather than coalesced."""
        self.generation += 1
        if config:
            self.epoch += 1
        self._wake.set()

    def jobs(self, state: AppState) -> list[Job[Any]]:
        """The jobs of one application, the license sync first. Built per call: the loop asks
        only for the jobs of an application it starts or requeues (O(1) per event); a cache
        per application cost 7 MiB at 10,000."""
        target, entry = state.target, self._types[state.target.type]
        jobs: list[Job[Any]] = [
            Job("sync", state.sync, lambda client: entry.fetch(client, target.app), False)
        ]
        scan = entry.scan
        if scan is not None and state.users is not None and target.users is not None:
            settings = target.users.settings
            jobs.append(
                Job(
                    "user scan",
                    state.users,
                    lambda client: scan(client, target.app, settings, self.clock.time()),
                    True,
                )
            )
        apps = entry.apps
        if apps is not None and state.apps is not None:
            jobs.append(
                Job("marketplace apps", state.apps, lambda client: apps(client, target.app), True)
            )
        return jobs

    def _ready(self, state: AppState, job: Job[Any], now: float) -> bool:
        return job.schedule.due(now) and (not job.secondary or state.sync.up is True)

    def due(self, now: float, *, secondary: bool = False) -> list[tuple[str, Job[Any]]]:
        """The jobs due now: license syncs, or (`secondary`) the jobs that follow them."""
        return [
            (name, job)
            for name, state in self.states.items()
            for job in self.jobs(state)
            if job.secondary == secondary and self._ready(state, job, now)
        ]

    async def sync(self, name: str) -> None:
        """Run the license sync of one application now (tests and faults drive this)."""
        state = self.states[name]
        await self.run_job(state, self.jobs(state)[0])

    async def run_job(self, state: AppState, job: Job[T]) -> None:
        """One run of one job: record its outcome in its schedule, whatever the work raises."""
        schedule = job.schedule
        schedule.in_flight = True
        due_before = schedule.next_due
        # A separate limit for the secondary jobs: a scan of 100,000 users takes minutes and
        # must not delay seat syncs.
        semaphore = self._scan_semaphore if job.secondary else self._semaphore
        try:
            async with semaphore:
                started = Instant.now(self.clock)
                try:
                    snapshot = await job.work(self._client(state))
                except Exception as exc:
                    failure = describe_failure(exc, job.what, state.name)
                    finished = Instant.now(self.clock)
                    schedule.record_failure(failure, started, finished)
                    state.count_failure(failure.reason)
                    if failure.retry_after is not None:
                        # One server, one rate limit: every job of the link waits as asked.
                        for other in state.schedules():
                            other.hold(schedule.next_due)
                    return
                if schedule.up is False:
                    log.info("%s recovered application=%s", job.what, state.name)
                jitter = self._jitter(schedule.interval)
                schedule.record_success(snapshot, started, Instant.now(self.clock), jitter)
        finally:
            if schedule.next_due == due_before:
                # Recording itself failed (a bug): never leave a job due now, or the loop spins.
                schedule.next_due = self.clock.monotonic() + schedule.interval
            schedule.in_flight = False
            current = self.states.get(state.name) is state  # not replaced by a reload meanwhile
            if current and not any(other.in_flight for other in state.schedules()):
                # Nothing of this link runs until its next interval (minutes): close its client,
                # so idle keep-alive sockets and the client's memory are bounded by the jobs in
                # flight, not by N (httpcore only expires idle connections on the next request).
                # The next job builds a new one; the SSLContext is shared, so that is cheap.
                self._close_client(state.name)
            self._requeue(state)  # a failure's Retry-After may have moved the others too
            self.touch()

    def _jitter(self, interval: float) -> float:
        # Spreads applications that share an interval so they don't all sync in one burst.
        return self._rng.uniform(0, min(0.1 * interval, 30.0))

    async def run_due(self) -> None:
        """Run every job that is due now and wait for them (tests drive this)."""
        for secondary in (False, True):  # the secondary ones a first sync just made due
            due = self.due(self.clock.monotonic(), secondary=secondary)
            await asyncio.gather(*(self.run_job(self.states[n], job) for n, job in due))

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _requeue(self, state: AppState) -> None:
        """Queue the jobs of `state` at their due times (after a run, a reload)."""
        for index, job in enumerate(self.jobs(state)):
            if not job.schedule.in_flight and (not job.secondary or state.sync.up is True):
                self._queue.push((state.name, index), job.schedule.next_due)

    def _requeue_all(self) -> None:
        self._queue.clear()
        for state in self.states.values():
            self._requeue(state)

    def _pop_due(self, now: float) -> list[tuple[AppState, Job[Any]]]:
        """The queued jobs due at `now`, at most DUE_PER_TURN, in due order. License syncs
        need not come first: each kind waits in a line of its own (sync/slots.py), so a
        secondary job never holds a sync's slot."""
        due: list[tuple[AppState, Job[Any]]] = []
        for (name, index), _ in self._queue.pop_due(now, DUE_PER_TURN):
            state = self.states.get(name)
            if state is None:
                continue
            job = self.jobs(state)[index]
            if job.schedule.next_due > now:
                self._queue.push((name, index), job.schedule.next_due)  # held back meanwhile
            elif self._ready(state, job, now):
                due.append((state, job))
            # else: in flight, or a secondary job whose sync is down: queued again when the
            # running job ends (run_job requeues every job of its application).
        return due

    def _start(self) -> None:
        """Start the waiting jobs that have a free slot (exporter/sync/slots.py) from the next
        turn of the loop on, at most STARTS_PER_TURN per turn."""
        if self._starting is None:
            self._starting = asyncio.get_running_loop().call_soon(self._start_some)

    def _start_some(self) -> None:
        self._starting = None
        started = self._slots.take(self._live, STARTS_PER_TURN)
        for _, (state, job) in started:
            self._spawn(self._run_in_slot(state, job), f"{job.what}-{state.name}")
        if len(started) == STARTS_PER_TURN:
            # Again next turn: after the first steps of the jobs just started, and after
            # whatever was handed to this loop meanwhile.
            self._start()

    def _live(self, waiting: tuple[AppState, Job[Any]]) -> bool:
        state, job = waiting
        if self.states.get(state.name) is state:
            return True
        job.schedule.in_flight = False  # reloaded away while it waited: never runs
        return False

    async def _run_in_slot(self, state: AppState, job: Job[Any]) -> None:
        try:
            await self.run_job(state, job)
        finally:
            self._slots.done(job.secondary)
            self._start()

    def _next_wake(self, now: float) -> float:
        first = self._queue.first()
        return min(max(0.0, (now + MAX_SLEEP if first is None else first) - now), MAX_SLEEP)

    async def run(self) -> None:
        """Start due jobs as tasks, forever; an application never waits for another one.
        The queue is already full: apply() filled it (requeueing 10,000 applications again
        here held the loop for 50 ms at start-up)."""
        while True:
            self._wake.clear()
            now = self.clock.monotonic()
            for state, job in self._pop_due(now):
                job.schedule.in_flight = True
                self._slots.wait(job.secondary, (state, job))
            self._start()
            wake = self._next_wake(now)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
            # arrives as the event fires, and the exporter then ignores SIGTERM.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wake):
                    await self._wake.wait()
            if wake == MAX_SLEEP and not self._wake.is_set():
                # A quiet minute: rebuild the queue from every schedule (O(N) once a minute), a
                # safety net for a schedule changed where nothing queued it again.
                self._requeue_all()

    def ready(self) -> bool:
        """Every application has finished its first sync, successfully or not."""
        return all(state.sync.up is not None for state in self.states.values())

    async def close(self) -> None:
        self._slots.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # After the tasks: each one's end asks _start() for the next job again.
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        for http, _ in self._clients.values():
            await http.aclose()
        self._clients.clear()
