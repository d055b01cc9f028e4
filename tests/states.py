"""Exporter state built by hand: one application's sync and user-scan schedules at NOW, and a
registry that collects them. Shared by the collector, exposition and source tests.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry

from exporter.serve.collector import LicenseCollector, ReloadStatus
from exporter.sources.model import AppsSnapshot, ProductLicense, Snapshot, UsersSnapshot
from exporter.sync.poller import NO_FAILURES, AppState
from exporter.sync.schedule import Schedule
from tests.factories import FakeClock, at, make_target

CROWD_APP = {"crowd_application_id": 3, "crowd_application_type": "jira"}
ORG_APP = {"org_id": "org-1", "site": "acme.atlassian.net"}
# The keys some types require besides name, type and link.
EXTRA = {"crowd": CROWD_APP, "atlassian-org": ORG_APP}
NOW = 1_750_000_000.0


def state(
    name: str = "app",
    type: str = "jira",
    *products: ProductLicense,
    users: Schedule[UsersSnapshot] | None = None,
    failures: Mapping[str, int] | None = None,
    last_success: float = NOW - 10,
    up: bool = True,
    snapshot: Snapshot | None = None,
) -> AppState:
    target = make_target(name, type, sync_interval="1m", **EXTRA.get(type, {}))
    sync = Schedule[Snapshot](60.0, snapshot=snapshot or Snapshot(products), up=up)
    sync.last_success, sync.last_attempt, sync.last_duration = at(last_success), at(NOW - 10), 0.25
    return AppState(target, sync, users, failures if failures is not None else NO_FAILURES)


def registry(
    *states: AppState, now: float = NOW, reload: ReloadStatus | None = None
) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    by_name = {s.name: s for s in states}
    reg.register(
        LicenseCollector(
            lambda: by_name, FakeClock(now), reload_status=(lambda: reload) if reload else None
        )
    )
    return reg


def users_state(
    snapshot: UsersSnapshot | None,
    *,
    up: bool = True,
    last_success: float = NOW - 60,
    interval: float = 3600.0,
) -> Schedule[UsersSnapshot]:
    users = Schedule[UsersSnapshot](interval, snapshot=snapshot, up=up)
    users.last_success, users.last_duration = at(last_success), 12.5
    return users


def apps_schedule(snapshot: AppsSnapshot | None, up: bool = True) -> Schedule[AppsSnapshot]:
    apps = Schedule[AppsSnapshot](21600.0, snapshot=snapshot, up=up)
    if snapshot is not None:
        apps.last_success = at(NOW - 30)
    apps.last_attempt = at(NOW - 30)
    return apps
