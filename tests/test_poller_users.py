"""The second schedule: user scans, on users_sync_interval, with the sync's failure rules."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from exporter.config.load import Application
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductUsers, SourceError, UsersSnapshot
from exporter.sources.users import ScanSettings
from exporter.sync.poller import Poller
from tests.factories import app_dict, make_config
from tests.fakes import Clock, FakeSource, snap

USERS = UsersSnapshot((ProductUsers("bitbucket", 10, 1, (("30d", 4),)),))


class FakeScan:
    """Answers each user scan with the next scripted outcome (the last repeats)."""

    def __init__(self, clock: Clock, *script: UsersSnapshot | SourceError) -> None:
        self.clock, self.script = clock, list(script)
        self.calls: defaultdict[str, list[float]] = defaultdict(list)
        self.settings: list[ScanSettings] = []

    async def scan(
        self, client: LinkClient, app: Application, settings: ScanSettings, now: float
    ) -> UsersSnapshot:
        self.calls[app.name].append(now)
        self.settings.append(settings)
        outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(outcome, SourceError):
            raise outcome
        return outcome


def poller(
    clock: Clock, source: FakeSource, scan: FakeScan, *apps: dict[str, Any], **global_: Any
) -> Poller:
    rng = random.Random(0)
    rng.uniform = lambda a, b: 0.0  # type: ignore[method-assign]
    return Poller(
        make_config(*apps, **global_),
        clock=clock,
        rng=rng,
        sources={"bitbucket": source.fetch, "jira": source.fetch},
        user_scans={"bitbucket": scan.scan},
    )


async def run_for(p: Poller, clock: Clock, seconds: float, step: float = 30) -> None:
    end = clock.now + seconds
    while clock.now < end:
        await p.run_due()
        clock.now += step


async def test_user_scans_run_on_their_own_longer_interval() -> None:
    clock = Clock()
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, USERS)
    app = app_dict("bb", "bitbucket", sync_interval="1m", users_sync_interval="10m")
    p = poller(clock, source, scan, app)
    start = clock.now
    await run_for(p, clock, 25 * 60)
    assert [t - start for t in source.calls["bb"]] == [i * 60.0 for i in range(25)]
    assert [t - start for t in scan.calls["bb"]] == [0.0, 600.0, 1200.0]
    users = p.states["bb"].users
    assert users is not None and users.snapshot == USERS and users.up is True
    assert users.fresh_snapshot(clock.now, 3) == USERS
    await p.close()


async def test_types_without_user_scans_have_no_second_schedule() -> None:
    clock = Clock()
    source, scan = FakeSource(clock, j=[snap(1)]), FakeScan(clock, USERS)
    p = poller(clock, source, scan, app_dict("j", "jira"))
    await run_for(p, clock, 120)
    assert p.states["j"].users is None and scan.calls == {}
    await p.close()


async def test_a_failed_user_scan_counts_by_reason_but_leaves_sync_up_alone() -> None:
    clock = Clock()
    err = SourceError("http_5xx", "/rest/api/1.0/admin/users", "HTTP 502: server error")
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, err, err, USERS)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", users_sync_interval="1h"))
    start = clock.now
    await run_for(p, clock, 60, step=1)
    state, users = p.states["bb"], p.states["bb"].users
    assert users is not None
    assert state.up is True and state.last_error is None
    assert [t - start for t in scan.calls["bb"]] == [0.0, 5.0, 15.0]  # backoff 5 s, 10 s
    assert state.failures == {"http_5xx": 2}
    assert users.up is True and users.consecutive_failures == 0 and users.snapshot == USERS
    await p.close()


async def test_a_user_scan_401_is_not_retried_before_the_next_scan_interval() -> None:
    clock = Clock()
    err = SourceError("http_401", "/rest/api/1.0/users", "HTTP 401: authentication failed")
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, err)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", users_sync_interval="30m"))
    start = clock.now
    await run_for(p, clock, 3600 + 60, step=60)
    assert [t - start for t in scan.calls["bb"]] == [0.0, 1800.0, 3600.0]
    users = p.states["bb"].users
    assert users is not None and users.up is False
    assert users.last_error == "http_401: HTTP 401: authentication failed"
    await p.close()


async def test_retry_after_from_either_schedule_holds_back_the_other() -> None:
    clock = Clock()
    limited = SourceError("http_429", "/x", "HTTP 429: rate limited", retry_after=300)
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, limited, USERS)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", sync_interval="1m"))
    start = clock.now
    await run_for(p, clock, 400, step=10)
    # The scan at 0 was told to wait 300 s: the seat sync due at 60 waits with it.
    assert [t - start for t in source.calls["bb"]][:3] == [0.0, 300.0, 360.0]
    assert [t - start for t in scan.calls["bb"]] == [0.0, 300.0]
    await p.close()


async def test_no_user_scan_while_the_seat_sync_fails() -> None:
    clock = Clock()
    down = SourceError("connection", "/rest/api/1.0/admin/license", "refused")
    source, scan = FakeSource(clock, bb=[down, down, snap(2)]), FakeScan(clock, USERS)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", sync_interval="1m"))
    start = clock.now
    await run_for(p, clock, 30, step=1)
    # Syncs fail at 0 and 5, succeed at 15: only then does the user scan run.
    assert [t - start for t in source.calls["bb"]] == [0.0, 5.0, 15.0]
    assert [t - start for t in scan.calls["bb"]] == [15.0]
    await p.close()


async def test_user_counts_are_dropped_after_three_scan_intervals() -> None:
    clock = Clock()
    err = SourceError("timeout", "/rest/api/1.0/admin/users", "no complete response")
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, USERS, err)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", users_sync_interval="10m"))
    await p.run_due()
    users = p.states["bb"].users
    assert users is not None and users.last_success == clock.now
    scanned = clock.now
    clock.now = scanned + 1800
    assert users.fresh_snapshot(clock.now, 3) == USERS
    clock.now += 1
    assert users.fresh_snapshot(clock.now, 3) is None
    await p.close()


async def test_changed_scan_settings_restart_the_application_on_reload() -> None:
    clock = Clock()
    source, scan = FakeSource(clock, bb=[snap(1)], jb=[snap(2)]), FakeScan(clock, USERS)
    apps = [app_dict("bb", "bitbucket"), app_dict("jb", "jira")]
    p = poller(clock, source, scan, *apps)
    await p.run_due()
    bb, jb = p.states["bb"], p.states["jb"]
    p.apply(make_config(*apps, inactive_periods=["7d"]))
    assert p.states["jb"] is jb  # no user scan: unaffected
    assert p.states["bb"] is not bb and p.states["bb"].users is not None
    await p.run_due()
    assert [label for label, _ in scan.settings[-1].periods] == ["7d"]
    p.apply(make_config(*apps, inactive_periods=["7d"]))
    assert p.states["bb"].users is not None and p.states["bb"].users.snapshot == USERS
    await p.close()
