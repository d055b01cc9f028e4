from __future__ import annotations

import asyncio
import random
from typing import Any

from exporter.config.load import Application
from exporter.sources.http import LinkClient
from exporter.sources.model import Snapshot, SourceError
from exporter.sync.poller import Poller
from tests.factories import app_dict, make_config
from tests.fakes import Clock, FakeSource, snap


def poller(clock: Clock, source: FakeSource, *apps: dict[str, Any], **global_: Any) -> Poller:
    config = make_config(*apps, **global_)
    # No jitter: schedules in these tests are exact.
    rng = random.Random(0)
    rng.uniform = lambda a, b: 0.0  # type: ignore[method-assign]
    return Poller(config, clock=clock, rng=rng, sources={"jira": source.fetch})


async def test_every_application_syncs_at_start_then_on_its_own_interval() -> None:
    clock = Clock()
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
    clock = Clock()
    err = SourceError("http_5xx", "/rest/api/2/applicationrole", "HTTP 500: server error")
    source = FakeSource(clock, good=[snap(5)], bad=[err])
    p = poller(clock, source, app_dict("good"), app_dict("bad"), sync_interval="1m")
    await p.run_due()
    assert p.states["good"].up is True and p.states["bad"].up is False
    assert p.states["bad"].failures == {"http_5xx": 1}
    assert p.states["bad"].last_error == "http_5xx: HTTP 500: server error"
    assert p.states["good"].next_due == clock.now + 60
    await p.close()


async def test_slow_sync_runs_concurrently_with_others() -> None:
    clock = Clock()
    release = asyncio.Event()

    async def fetch(client: LinkClient, app: Application) -> Snapshot:
        if app.name == "hung":
            await release.wait()
        return snap(1)

    p = Poller(make_config(app_dict("hung"), app_dict("ok")), clock=clock, sources={"jira": fetch})
    task = asyncio.create_task(p.run_due())
    for _ in range(5):
        await asyncio.sleep(0)
    assert p.states["ok"].up is True and p.states["hung"].up is None
    assert p.due(clock.now) == []  # the hung one is in flight, not started twice
    release.set()
    await task
    await p.close()


async def test_backoff_after_failures_is_exponential_and_capped_by_interval() -> None:
    clock = Clock()
    err = SourceError("connection", "/x", "refused")
    source = FakeSource(clock, a=[err])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    delays = []
    for _ in range(6):
        await p.run_due()
        delays.append(p.states["a"].next_due - clock.now)
        clock.now = p.states["a"].next_due
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    await p.close()


async def test_retry_after_is_honoured_never_sooner() -> None:
    clock = Clock()
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
    assert len(source.calls["a"]) == 2 and p.states["a"].up is True
    await p.close()


async def test_401_is_not_retried_within_the_interval() -> None:
    clock = Clock()
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
    clock = Clock()
    err = SourceError("timeout", "/x", "no complete response within 30s")
    source = FakeSource(clock, a=[snap(7), err])
    p = poller(clock, source, app_dict("a"), sync_interval="1m")
    await p.run_due()
    synced = clock.now
    state = p.states["a"]
    while clock.now - synced <= 180:
        assert state.fresh_snapshot(clock.now) == snap(7)
        clock.now += 5
        await p.run_due()
    assert state.up is False
    assert state.fresh_snapshot(clock.now) is None
    assert state.last_success == synced
    await p.close()


async def test_duration_is_measured_with_the_clock() -> None:
    clock = Clock()
    source = FakeSource(clock, a=[snap(1)])
    source.duration = 2.5
    p = poller(clock, source, app_dict("a"))
    await p.run_due()
    assert p.states["a"].last_duration == 2.5
    await p.close()


async def test_unexpected_exception_in_a_source_is_a_counted_failure() -> None:
    async def broken(client: LinkClient, app: Application) -> Snapshot:
        raise KeyError("userCount")

    p = Poller(make_config(app_dict("a")), clock=Clock(), sources={"jira": broken})
    await p.run_due()
    assert p.states["a"].up is False
    assert p.states["a"].failures == {"invalid_response": 1}
    await p.close()


async def test_apply_keeps_unchanged_state_and_drops_removed_applications() -> None:
    clock = Clock()
    source = FakeSource(clock, a=[snap(1)], b=[snap(2)], c=[snap(3)])
    p = poller(clock, source, app_dict("a"), app_dict("b"))
    await p.run_due()
    kept = p.states["a"]
    p.apply(make_config(app_dict("a"), app_dict("b", sync_interval="1m"), app_dict("c")))
    assert p.states["a"] is kept
    assert p.states["b"].up is None  # changed: starts afresh
    assert set(p.states) == {"a", "b", "c"}
    assert p.due(clock.now) == ["b", "c"]
    p.apply(make_config(app_dict("c")))
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
    p = Poller(make_config(*apps, max_concurrent_syncs=3), clock=Clock(), sources={"jira": fetch})
    await p.run_due()
    assert peak == 3 and all(s.up for s in p.states.values())
    await p.close()
