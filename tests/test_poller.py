from __future__ import annotations

import asyncio
import itertools
import logging
import random
from pathlib import Path
from typing import Any

import pytest

from exporter.config.models import ApplicationBase as Application
from exporter.sources.http import LinkClient
from exporter.sources.model import Snapshot, SourceError
from exporter.sync import poller as poller_module
from exporter.sync.backoff import MAX_RETRY_AFTER
from exporter.sync.poller import DUE_PER_TURN, NO_FAILURES, STARTS_PER_TURN, Poller
from exporter.sync.schedule import Schedule
from tests.factories import FakeClock, app_dict, make_targets, types_with
from tests.fakes import FakeSource, snap


def poller(clock: FakeClock, source: FakeSource, *apps: dict[str, Any], **global_: Any) -> Poller:
    targets = make_targets(*apps, **global_)
    # No jitter: schedules in these tests are exact.
    rng = random.Random(0)
    rng.uniform = lambda a, b: 0.0  # type: ignore[method-assign]
    return Poller(targets, clock=clock, rng=rng, types=types_with({"jira": source.fetch}))


async def test_every_application_syncs_at_start_then_on_its_own_interval() -> None:
    clock = FakeClock()
    source = FakeSource(clock, fast=[snap(1)], slow=[snap(2)])
    p = poller(
        clock,
        source,
        app_dict("fast", sync_interval="1m"),
        app_dict("slow", sync_interval="5m", link={"timeout": "10s"}),
        sync_interval="5m",
    )
    start = clock.now
    for _ in range(10 * 60 // 30):  # ten minutes in 30 s steps
        await p.run_due()
        clock.now += 30
    assert [t - start for t in source.calls["fast"]] == [i * 60.0 for i in range(10)]
    assert [t - start for t in source.calls["slow"]] == [0.0, 300.0]
    await p.close()


async def test_a_failing_application_does_not_delay_another() -> None:
    clock = FakeClock()
    err = SourceError("http_5xx", "/rest/api/2/applicationrole", "HTTP 500: server error")
    source = FakeSource(clock, good=[snap(5)], bad=[err])
    p = poller(clock, source, app_dict("good"), app_dict("bad"), sync_interval="1m")
    await p.run_due()
    assert p.states["good"].sync.up is True and p.states["bad"].sync.up is False
    assert p.states["bad"].failures == {"http_5xx": 1}
    # Until its first failure an application shares one empty mapping (issue #15: memory).
    assert p.states["good"].failures is NO_FAILURES and not NO_FAILURES
    assert p.states["bad"].sync.last_error == "http_5xx: HTTP 500: server error"
    assert p.states["good"].sync.next_due == clock.now + 60
    await p.close()


async def test_slow_sync_runs_concurrently_with_others() -> None:
    clock = FakeClock()
    release = asyncio.Event()

    async def fetch(client: LinkClient, app: Application) -> Snapshot:
        if app.name == "hung":
            await release.wait()
        return snap(1)

    p = Poller(
        make_targets(app_dict("hung"), app_dict("ok")),
        clock=clock,
        types=types_with({"jira": fetch}),
    )
    task = asyncio.create_task(p.run_due())
    for _ in range(5):
        await asyncio.sleep(0)
    assert p.states["ok"].sync.up is True and p.states["hung"].sync.up is None
    assert [
        name for name, _ in p.due(clock.now)
    ] == []  # the hung one is in flight, not started twice
    release.set()
    await task
    await p.close()


async def test_backoff_after_failures_is_exponential_and_capped_by_interval() -> None:
    clock = FakeClock()
    err = SourceError("connection", "/x", "refused")
    source = FakeSource(clock, a=[err])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    delays = []
    for _ in range(6):
        await p.run_due()
        delays.append(p.states["a"].sync.next_due - clock.now)
        clock.now = p.states["a"].sync.next_due
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    await p.close()


async def test_retry_after_is_honoured_never_sooner() -> None:
    clock = FakeClock()
    err = SourceError("http_429", "/x", "HTTP 429: rate limited", retry_after=90)
    source = FakeSource(clock, a=[err, snap(3)])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    await p.run_due()
    for _ in range(89):
        clock.now += 1
        await p.run_due()
    assert len(source.calls["a"]) == 1
    clock.now += 1
    await p.run_due()
    assert len(source.calls["a"]) == 2 and p.states["a"].sync.up is True
    await p.close()


async def test_401_is_not_retried_within_the_interval() -> None:
    clock = FakeClock()
    err = SourceError("http_401", "/x", "HTTP 401: authentication failed")
    source = FakeSource(clock, a=[err])
    p = poller(clock, source, app_dict("a"), sync_interval="5m")
    start = clock.now
    for _ in range(10 * 60 // 10):
        await p.run_due()
        clock.now += 10
    assert [t - start for t in source.calls["a"]] == [0.0, 300.0]
    assert p.states["a"].failures == {"http_401": 2}
    await p.close()


async def test_last_good_values_are_kept_then_dropped_after_three_intervals() -> None:
    clock = FakeClock()
    err = SourceError("timeout", "/x", "no complete response within 30s")
    source = FakeSource(clock, a=[snap(7), err])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    await p.run_due()
    synced = clock.now
    state = p.states["a"]
    while clock.now - synced <= 180:
        assert state.sync.fresh(clock.now) == snap(7)
        clock.now += 5
        await p.run_due()
    assert state.sync.up is False
    assert state.sync.fresh(clock.now) is None
    assert state.sync.last_success is not None
    assert state.sync.last_success.mono == synced
    await p.close()


async def test_duration_is_measured_with_the_clock() -> None:
    clock = FakeClock()
    source = FakeSource(clock, a=[snap(1)])
    source.duration = 2.5
    p = poller(clock, source, app_dict("a"))
    await p.run_due()
    assert p.states["a"].sync.last_duration == 2.5
    await p.close()


async def test_unexpected_exception_in_a_source_is_an_internal_failure() -> None:
    async def broken(client: LinkClient, app: Application) -> Snapshot:
        raise KeyError("userCount")

    p = Poller(make_targets(app_dict("a")), clock=FakeClock(), types=types_with({"jira": broken}))
    await p.run_due()
    assert p.states["a"].sync.up is False
    assert p.states["a"].failures == {"internal": 1}
    await p.close()


async def test_apply_keeps_unchanged_state_and_drops_removed_applications() -> None:
    clock = FakeClock()
    source = FakeSource(clock, a=[snap(1)], b=[snap(2)], c=[snap(3)])
    p = poller(clock, source, app_dict("a"), app_dict("b"))
    await p.run_due()
    kept = p.states["a"]
    p.apply(make_targets(app_dict("a"), app_dict("b", sync_interval="1m"), app_dict("c")))
    assert p.states["a"] is kept
    assert p.states["b"].sync.up is None  # changed: starts afresh
    assert set(p.states) == {"a", "b", "c"}
    assert [name for name, _ in p.due(clock.now)] == ["b", "c"]
    p.apply(make_targets(app_dict("c")))
    assert set(p.states) == {"c"}
    await p.close()


async def test_concurrency_is_bounded() -> None:
    running, peak = 0, 0

    async def fetch(client: LinkClient, app: Application) -> Snapshot:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        return snap(1)

    apps = [app_dict(f"a{i}") for i in range(20)]
    p = Poller(
        make_targets(*apps, max_concurrent_syncs=3),
        clock=FakeClock(),
        types=types_with({"jira": fetch}),
    )
    await p.run_due()
    assert peak == 3 and all(s.sync.up for s in p.states.values())
    await p.close()


async def test_a_wall_clock_step_back_neither_stops_syncs_nor_keeps_old_data_fresh() -> None:
    clock = FakeClock()
    err = SourceError("timeout", "/x", "no complete response within 30s")
    source = FakeSource(clock, a=[snap(7), err])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    start = clock.now
    await p.run_due()
    clock.wall_offset = -3600.0  # NTP or an operator sets the wall clock back an hour
    for _ in range(4 * 60 // 5):
        clock.now += 5
        await p.run_due()
    # Syncs went on every minute (after the failure, backing off within the minute) ...
    assert [t - start for t in source.calls["a"]][:3] == [0.0, 60.0, 65.0]
    assert len(source.calls["a"]) > 4
    # ... and the last good data aged on the monotonic clock: gone after three intervals.
    assert p.states["a"].sync.fresh(clock.monotonic()) is None
    last = p.states["a"].sync.last_success
    assert last is not None and last.wall == start  # exported as the wall time it happened
    await p.close()


async def test_an_exporter_bug_is_reason_internal_with_its_traceback_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(client: LinkClient, app: Application) -> Snapshot:
        raise KeyError("userCount")

    p = Poller(make_targets(app_dict("a")), clock=FakeClock(), types=types_with({"jira": broken}))
    with caplog.at_level(logging.DEBUG):
        await p.run_due()
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.levelno == logging.ERROR and "reason=internal" in record.getMessage()
    assert p.states["a"].sync.last_error == "internal: exporter bug: KeyError"
    await p.close()


async def test_a_job_whose_recording_fails_is_still_rescheduled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    source = FakeSource(clock, a=[snap(1)])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in recording")

    monkeypatch.setattr(Schedule, "record_success", broken)
    with pytest.raises(RuntimeError):
        await p.sync("a")
    assert p.states["a"].sync.next_due == clock.now + 60  # not due again at once
    assert [name for name, _ in p.due(clock.now)] == []
    await p.close()


async def test_a_reload_lets_an_application_parked_by_retry_after_sync_again() -> None:
    clock = FakeClock()
    parked = SourceError("http_429", "/x", "HTTP 429: rate limited", retry_after=10**9)
    source = FakeSource(clock, a=[parked, snap(2)])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    await p.run_due()
    assert p.states["a"].sync.next_due == clock.now + MAX_RETRY_AFTER  # capped, not forever
    p.apply(make_targets(app_dict("a"), sync_interval="1m"))  # unchanged: kept, rescheduled
    clock.now += 60
    await p.run_due()
    assert len(source.calls["a"]) == 2 and p.states["a"].sync.up is True
    await p.close()


async def settle(condition: Any, rounds: int = 200) -> None:
    """Let the loop and its job tasks run until `condition()` holds (no wall-clock waits)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the loop did not get there")


async def test_the_loop_starts_each_job_when_due_from_its_queue_not_a_scan() -> None:
    clock = FakeClock()
    source = FakeSource(clock, a=[snap(1)], b=[snap(2)], c=[snap(3)])
    p = poller(
        clock,
        source,
        app_dict("a", sync_interval="1m"),
        app_dict("b", sync_interval="2m"),
        app_dict("c", sync_interval="3m"),
    )
    start = clock.now
    loop = asyncio.create_task(p.run())
    try:
        await settle(lambda: all(len(source.calls[n]) == 1 for n in "abc"))
        for minute in range(1, 7):
            clock.now = start + 60 * minute
            p.touch()  # stands in for the timer: the loop looks at its queue again
            want = {n: 1 + minute // k for n, k in zip("abc", (1, 2, 3), strict=True)}
            await settle(lambda want=want: {n: len(source.calls[n]) for n in "abc"} == want)
        # One live queue entry per job, however often the loop woke up.
        assert sorted(p._queue.queued()) == [("a", 0), ("b", 0), ("c", 0)]
        assert p._queue.entries() <= 2 * len(p._queue) + 6
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await p.close()


def gated_poller(
    count: int, max_concurrent_syncs: int
) -> tuple[Poller, list[str], list[str], asyncio.Event]:
    """A poller of `count` applications whose syncs record their start, then wait for the
    gate: (poller, names, names in the order their syncs started, gate)."""
    gate = asyncio.Event()
    started: list[str] = []

    async def fetch(client: LinkClient, app: Application) -> Snapshot:
        started.append(app.name)
        await gate.wait()
        return snap(1)

    names = [f"a{i}" for i in range(count)]
    p = Poller(
        make_targets(*(app_dict(n) for n in names), max_concurrent_syncs=max_concurrent_syncs),
        clock=FakeClock(),
        types=types_with({"jira": fetch}),
    )
    return p, names, started, gate


async def test_the_loop_creates_a_task_only_for_a_job_with_a_free_slot() -> None:
    """Every job is due at start-up; waiting ones are queued, not tasks (issue #15: a task per
    due job held 1.2 KiB each at 10,000 applications), and a job of an application reloaded
    away while it waited never runs."""
    p, names, started, gate = gated_poller(20, max_concurrent_syncs=3)
    loop = asyncio.create_task(p.run())
    try:
        await settle(lambda: len(started) == 3)
        for _ in range(20):
            await asyncio.sleep(0)
        assert started == names[:3] and len(p._tasks) == 3 and p._slots.waiting() == 17
        assert all(p.states[n].sync.in_flight for n in names)  # waiting counts as in flight
        p.apply(make_targets(*(app_dict(n) for n in names[:-1]), max_concurrent_syncs=3))
        gate.set()
        await settle(lambda: all(p.states[n].sync.up for n in names[:-1]))
        assert started == names[:-1] and p._slots.running() == 0
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await p.close()


async def test_a_burst_of_due_jobs_is_taken_and_started_over_several_turns_of_the_loop() -> None:
    """At start-up every job is due at once. The loop takes at most DUE_PER_TURN of them from
    the queue and starts at most STARTS_PER_TURN per turn, so work handed to it meanwhile (the
    first scrape's render, issue #15) waits for one turn, not for the whole burst."""
    p, names, started, gate = gated_poller(600, max_concurrent_syncs=64)
    seen: list[tuple[int, int]] = []  # (jobs started, jobs still queued), once per turn
    running = asyncio.get_running_loop()

    def probe() -> None:
        seen.append((len(started), len(p._queue)))
        if len(seen) < 200:
            running.call_soon(probe)  # the next turn of the loop

    probe()
    loop = asyncio.create_task(p.run())
    try:
        await settle(lambda: len(started) == 64 and len(p._queue) == 0)
        starts = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
        taken = [a[1] - b[1] for a, b in itertools.pairwise(seen)]
        assert max(starts) == STARTS_PER_TURN and max(taken) == DUE_PER_TURN
        assert len(started) == 64 and p._slots.waiting() == 600 - 64
        gate.set()
        await settle(lambda: all(p.states[n].sync.up for n in names), rounds=5000)
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await p.close()


def tls_poller(tmp_path: Path) -> Poller:
    """Four applications on three TLS settings: the default (twice), insecure_skip_verify,
    and a CA file that holds no certificate."""
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    return Poller(
        make_targets(
            app_dict("a"),
            app_dict("b"),
            app_dict("c", link={"tls_config": {"insecure_skip_verify": True}}),
            app_dict("d", link={"tls_config": {"ca_file": str(bad)}}),
        ),
        clock=FakeClock(),
    )


async def test_prepare_builds_the_tls_contexts_and_leaves_bad_ones_to_the_sync(
    tmp_path: Path,
) -> None:
    p = tls_poller(tmp_path)
    await p.prepare()
    assert len(p._contexts) == 2  # the default, and insecure_skip_verify; not the bad CA
    await p.sync("d")
    assert p.states["d"].sync.up is False and p.states["d"].failures == {"tls": 1}
    await p.close()


async def test_prepare_leaves_the_contexts_beyond_its_budget_to_the_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(poller_module, "PREPARE_BUDGET", 0.0)
    p = tls_poller(tmp_path)
    await p.prepare()
    assert len(p._contexts) == 0
    await p.close()


async def test_a_reload_requeues_jobs_and_drops_removed_applications() -> None:
    clock = FakeClock()
    source = FakeSource(clock, a=[snap(1)], b=[snap(2)])
    p = poller(clock, source, app_dict("a", sync_interval="1m"), app_dict("b"))
    loop = asyncio.create_task(p.run())
    try:
        await settle(lambda: len(source.calls["a"]) == len(source.calls["b"]) == 1)
        p.apply(make_targets(app_dict("a", sync_interval="1m")))
        clock.now += 300
        p.touch()
        await settle(lambda: len(source.calls["a"]) == 2)
        assert len(source.calls["b"]) == 1 and "b" not in p.states
        assert [key for key in p._queue.queued() if key[0] == "b"] == []
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await p.close()


async def test_a_job_of_a_replaced_application_leaves_the_new_client_open() -> None:
    """A reload replaced the application while its old job ran: the old job's end must not
    close the client the new one's job is using (same name, new target)."""
    clock = FakeClock()
    source = FakeSource(clock, a=[snap(1)])
    p = poller(clock, source, app_dict("a", sync_interval="1m"))
    old = p.states["a"]
    p.apply(make_targets(app_dict("a", sync_interval="2m")))  # a new target, a new state
    new_client = p._client(p.states["a"])
    p.states["a"].sync.in_flight = True  # the new state's job is running
    await p.run_job(old, p.jobs(old)[0])  # the old job ends now
    assert p._clients["a"][1] is new_client
    await p.close()
