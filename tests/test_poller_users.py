"""The second schedule: user scans, on users_sync_interval, with the sync's failure rules."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from exporter.config.models import ApplicationBase as Application
from exporter.config.users import ScanSettings
from exporter.serve.collector import LicenseCollector
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductUsers, SourceError, UsersSnapshot
from exporter.sync.poller import Poller
from tests.factories import FakeClock, app_dict, make_targets, types_with
from tests.fakes import FakeSource, run_for, snap

USERS = UsersSnapshot((ProductUsers("bitbucket", 10, 1, (("30d", 4),)),))


class FakeScan:
    """Answers each user scan with the next scripted outcome (the last repeats)."""

    def __init__(self, clock: FakeClock, *script: UsersSnapshot | SourceError) -> None:
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
    clock: FakeClock, source: FakeSource, scan: FakeScan, *apps: dict[str, Any], **global_: Any
) -> Poller:
    rng = random.Random(0)
    rng.uniform = lambda a, b: 0.0  # type: ignore[method-assign]
    return Poller(
        make_targets(*apps, **global_),
        clock=clock,
        rng=rng,
        types=types_with(
            {"bitbucket": source.fetch, "jira": source.fetch}, {"bitbucket": scan.scan}
        ),
    )


async def test_user_scans_run_on_their_own_longer_interval() -> None:
    clock = FakeClock()
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, USERS)
    app = app_dict("bb", "bitbucket", sync_interval="1m", users_sync_interval="10m")
    p = poller(clock, source, scan, app)
    start = clock.now
    await run_for(p, clock, 25 * 60)
    assert [t - start for t in source.calls["bb"]] == [i * 60.0 for i in range(25)]
    assert [t - start for t in scan.calls["bb"]] == [0.0, 600.0, 1200.0]
    users = p.states["bb"].users
    assert users is not None and users.snapshot == USERS and users.up is True
    assert users.fresh(clock.now) == USERS
    await p.close()


async def test_types_without_user_scans_have_no_second_schedule() -> None:
    clock = FakeClock()
    source, scan = FakeSource(clock, j=[snap(1)]), FakeScan(clock, USERS)
    p = poller(clock, source, scan, app_dict("j", "jira"))
    await run_for(p, clock, 120)
    assert p.states["j"].users is None and scan.calls == {}
    await p.close()


async def test_a_failed_user_scan_counts_by_reason_but_leaves_sync_up_alone() -> None:
    clock = FakeClock()
    err = SourceError("http_5xx", "/rest/api/1.0/admin/users", "HTTP 502: server error")
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, err, err, USERS)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", users_sync_interval="1h"))
    start = clock.now
    await run_for(p, clock, 60, step=1)
    state, users = p.states["bb"], p.states["bb"].users
    assert users is not None
    assert state.sync.up is True and state.sync.last_error is None
    assert [t - start for t in scan.calls["bb"]] == [0.0, 5.0, 15.0]  # backoff 5 s, 10 s
    assert state.failures == {"http_5xx": 2}
    assert users.up is True and users.consecutive_failures == 0 and users.snapshot == USERS
    await p.close()


async def test_a_user_scan_401_is_not_retried_before_the_next_scan_interval() -> None:
    clock = FakeClock()
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
    clock = FakeClock()
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
    clock = FakeClock()
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
    clock = FakeClock()
    err = SourceError("timeout", "/rest/api/1.0/admin/users", "no complete response")
    source, scan = FakeSource(clock, bb=[snap(1)]), FakeScan(clock, USERS, err)
    p = poller(clock, source, scan, app_dict("bb", "bitbucket", users_sync_interval="10m"))
    await p.run_due()
    users = p.states["bb"].users
    assert users is not None and users.last_success is not None
    assert users.last_success.mono == clock.now
    scanned = clock.now
    clock.now = scanned + 1800
    assert users.fresh(clock.now) == USERS
    clock.now += 1
    assert users.fresh(clock.now) is None
    await p.close()


async def test_changed_scan_settings_restart_the_application_on_reload() -> None:
    clock = FakeClock()
    source, scan = FakeSource(clock, bb=[snap(1)], jb=[snap(2)]), FakeScan(clock, USERS)
    apps = [app_dict("bb", "bitbucket"), app_dict("jb", "jira")]
    p = poller(clock, source, scan, *apps)
    await p.run_due()
    bb, jb = p.states["bb"], p.states["jb"]
    p.apply(make_targets(*apps, inactive_periods=["7d"]))
    assert p.states["jb"] is jb  # no user scan: unaffected
    assert p.states["bb"] is not bb and p.states["bb"].users is not None
    await p.run_due()
    assert [label for label, _ in scan.settings[-1].periods] == ["7d"]
    p.apply(make_targets(*apps, inactive_periods=["7d"]))
    assert p.states["bb"].users is not None and p.states["bb"].users.snapshot == USERS
    await p.close()


async def test_user_scans_switched_off_make_no_request_and_no_series() -> None:
    clock = FakeClock()
    source = FakeSource(clock, off=[snap(1)], on=[snap(1)], default_off=[snap(1)])
    scan = FakeScan(clock, USERS)
    p = poller(
        clock,
        source,
        scan,
        app_dict("off", "bitbucket", user_scans={"enabled": False}),
        app_dict("on", "bitbucket", user_scans={"enabled": True}),  # the application wins
        app_dict("default_off", "bitbucket"),
        user_scans={"enabled": False},
    )
    await run_for(p, clock, 7200, step=60)
    assert set(scan.calls) == {"on"}
    assert p.states["off"].users is None and p.states["default_off"].users is None
    text = generate_latest(registry_of(LicenseCollector(lambda: p.states, clock))).decode()
    assert 'users_sync_up{application="on"}' in text
    for name in ("off", "default_off"):
        assert f'application="{name}"' in text  # seats still exported
        assert f'users_sync_up{{application="{name}"}}' not in text
        assert f'inactive_users{{application="{name}"' not in text
    await p.close()


def registry_of(collector: LicenseCollector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
