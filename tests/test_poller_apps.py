"""The third schedule: Marketplace apps, on marketplace_apps.sync_interval, a secondary job
with the sync's failure rules: only while the license sync is up, Retry-After shared, failures
counted by reason without touching sync_up."""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from exporter.config.models import ApplicationBase as Application
from exporter.sources.http import LinkClient
from exporter.sources.model import AppsSnapshot, MarketplaceApp, SourceError
from exporter.sync.poller import Poller
from tests.factories import FakeClock, app_dict, make_targets, types_with
from tests.fakes import FakeSource, run_for, snap

APPS = AppsSnapshot((MarketplaceApp("com.x.a", "A", "1", True, None),))


class FakeApps:
    """Answers each apps sync with the next scripted outcome (the last repeats)."""

    def __init__(self, clock: FakeClock, *script: AppsSnapshot | SourceError) -> None:
        self.clock, self.script = clock, list(script)
        self.calls: defaultdict[str, list[float]] = defaultdict(list)

    async def fetch(self, client: LinkClient, app: Application) -> AppsSnapshot:
        self.calls[app.name].append(self.clock.now)
        outcome = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(outcome, SourceError):
            raise outcome
        return outcome


def poller(
    clock: FakeClock, source: FakeSource, apps: FakeApps, *entries: dict[str, Any], **global_: Any
) -> Poller:
    rng = random.Random(0)
    rng.uniform = lambda a, b: 0.0  # type: ignore[method-assign]
    fetches = {"jira": source.fetch, "crowd": source.fetch}
    return Poller(
        make_targets(*entries, **global_),
        clock=clock,
        rng=rng,
        types=types_with(fetches, apps={"jira": apps.fetch}),
    )


async def test_apps_sync_on_their_own_interval_default_six_hours() -> None:
    clock = FakeClock()
    source, apps = FakeSource(clock, j=[snap(1)]), FakeApps(clock, APPS)
    p = poller(clock, source, apps, app_dict("j", "jira", sync_interval="30m"))
    start = clock.now
    await run_for(p, clock, 13 * 3600, step=600)
    assert [t - start for t in apps.calls["j"]] == [0.0, 6 * 3600.0, 12 * 3600.0]
    state = p.states["j"].apps
    assert state is not None and state.up is True and state.snapshot == APPS
    await p.close()


async def test_switched_off_globally_or_per_application_the_application_winning() -> None:
    clock = FakeClock()
    source, apps = FakeSource(clock, a=[snap(1)], b=[snap(1)]), FakeApps(clock, APPS)
    entries = [app_dict("a", "jira"), app_dict("b", "jira", marketplace_apps={"enabled": True})]
    p = poller(clock, source, apps, *entries, marketplace_apps={"enabled": False})
    await run_for(p, clock, 60)
    assert p.states["a"].apps is None and "a" not in apps.calls
    assert p.states["b"].apps is not None and apps.calls["b"]
    await p.close()


async def test_a_failed_apps_sync_counts_by_reason_but_leaves_sync_up_alone() -> None:
    clock = FakeClock()
    err = SourceError("http_403", "/rest/plugins/1.0/", "HTTP 403: the account lacks ...")
    source, apps = FakeSource(clock, j=[snap(1)]), FakeApps(clock, err, APPS)
    p = poller(clock, source, apps, app_dict("j", "jira", marketplace_apps={"sync_interval": "1h"}))
    start = clock.now
    await run_for(p, clock, 3600 + 60, step=60)
    state = p.states["j"]
    assert state.sync.up is True and state.sync.last_error is None
    # A 403 is not retried before the next interval.
    assert [t - start for t in apps.calls["j"]] == [0.0, 3600.0]
    assert state.failures == {"http_403": 1}
    assert state.apps is not None and state.apps.up is True
    await p.close()


async def test_no_apps_sync_while_the_license_sync_fails() -> None:
    clock = FakeClock()
    down = SourceError("connection", "/rest/api/2/applicationrole", "refused")
    source, apps = FakeSource(clock, j=[down, down, snap(2)]), FakeApps(clock, APPS)
    p = poller(clock, source, apps, app_dict("j", "jira", sync_interval="1m"))
    start = clock.now
    await run_for(p, clock, 30, step=1)
    assert [t - start for t in source.calls["j"]] == [0.0, 5.0, 15.0]
    assert [t - start for t in apps.calls["j"]] == [15.0]
    await p.close()


async def test_retry_after_of_the_apps_sync_holds_back_the_license_sync() -> None:
    clock = FakeClock()
    limited = SourceError("http_429", "/rest/plugins/1.0/", "HTTP 429", retry_after=300)
    source, apps = FakeSource(clock, j=[snap(1)]), FakeApps(clock, limited, APPS)
    p = poller(clock, source, apps, app_dict("j", "jira", sync_interval="1m"))
    start = clock.now
    await run_for(p, clock, 400, step=10)
    assert [t - start for t in source.calls["j"]][:3] == [0.0, 300.0, 360.0]
    assert [t - start for t in apps.calls["j"]] == [0.0, 300.0]
    await p.close()


async def test_types_without_upm_have_no_apps_schedule() -> None:
    clock = FakeClock()
    source, apps = FakeSource(clock, c=[snap(1)]), FakeApps(clock, APPS)
    crowd = app_dict("c", "crowd", crowd_application_id=3, crowd_application_type="jira")
    p = poller(clock, source, apps, crowd, user_scans={"enabled": False})
    await run_for(p, clock, 60)
    assert p.states["c"].apps is None and apps.calls == {}
    assert p.states["c"].target.apps is None
    await p.close()
