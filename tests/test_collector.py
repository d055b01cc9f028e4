from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from exporter import metrics as m
from exporter.apptypes import TYPES
from exporter.config.users import ScanSettings
from exporter.serve.collector import ReloadStatus
from exporter.sources.model import ProductLicense, ProductUsers, Snapshot, UsersSnapshot
from exporter.sync.poller import AppState
from exporter.sync.schedule import Schedule
from tests.factories import Upstream, at, fixture, make_app, make_target
from tests.sources.crowd_upstream import routes as crowd_routes
from tests.sources.org_upstream import PATH as ORG_USERS
from tests.sources.org_upstream import listing
from tests.states import EXTRA, NOW, registry, state, users_state

GOLDEN = Path(__file__).parent / "golden"


def test_limited_product_has_limit_and_remaining() -> None:
    reg = registry(
        state(
            "jira-prod", "jira", ProductLicense("jira-software", 290, 500, 210, expiry=1767139200.0)
        )
    )
    labels = {"application": "jira-prod", "product": "jira-software"}
    assert reg.get_sample_value(m.SEATS_USED.name, labels) == 290
    assert reg.get_sample_value(m.SEATS_LIMIT.name, labels) == 500
    assert reg.get_sample_value(m.SEATS_REMAINING.name, labels) == 210
    assert reg.get_sample_value(m.SEATS_UNLIMITED.name, labels) == 0
    assert reg.get_sample_value(m.EXPIRY.name, labels) == 1767139200.0
    assert reg.get_sample_value(m.MAINTENANCE_EXPIRY.name, labels) is None
    assert (
        reg.get_sample_value(
            m.INFO.name,
            {
                **labels,
                "license_type": "unknown",
                "evaluation": "unknown",
                "data_center": "unknown",
                "plan": "unknown",
            },
        )
        == 1
    )


def test_unlimited_product_has_no_limit_and_no_remaining() -> None:
    reg = registry(state("j", "jira", ProductLicense("jira-core", 17, None, None)))
    labels = {"application": "j", "product": "jira-core"}
    assert reg.get_sample_value(m.SEATS_UNLIMITED.name, labels) == 1
    assert reg.get_sample_value(m.SEATS_USED.name, labels) == 17
    assert reg.get_sample_value(m.SEATS_LIMIT.name, labels) is None
    assert reg.get_sample_value(m.SEATS_REMAINING.name, labels) is None


def test_sync_metrics_and_failure_counter() -> None:
    s = state("a", "jira", up=False, failures=Counter({"http_401": 2, "timeout": 1}))
    reg = registry(s)
    assert reg.get_sample_value(m.SYNC_UP.name, {"application": "a"}) == 0
    assert reg.get_sample_value(m.SYNC_LAST_SUCCESS.name, {"application": "a"}) == NOW - 10
    assert reg.get_sample_value(m.SYNC_DURATION.name, {"application": "a"}) == 0.25
    assert reg.get_sample_value(m.SYNC_INTERVAL.name, {"application": "a"}) == 60
    assert (
        reg.get_sample_value(m.SYNC_FAILURES.name, {"application": "a", "reason": "http_401"}) == 2
    )
    assert (
        reg.get_sample_value(m.SYNC_FAILURES.name, {"application": "a", "reason": "timeout"}) == 1
    )


def test_stale_values_are_dropped_but_sync_health_stays() -> None:
    s = state("a", "jira", ProductLicense("jira-software", 1, 2, 1), last_success=NOW - 181)
    reg = registry(s)
    assert (
        reg.get_sample_value(m.SEATS_USED.name, {"application": "a", "product": "jira-software"})
        is None
    )
    assert reg.get_sample_value(m.SYNC_LAST_SUCCESS.name, {"application": "a"}) == NOW - 181
    s.sync.last_success = at(NOW - 180)
    assert (
        reg.get_sample_value(m.SEATS_USED.name, {"application": "a", "product": "jira-software"})
        == 1
    )


def test_no_sync_up_before_the_first_sync() -> None:
    s = AppState(make_target("new", sync_interval="1m"), Schedule[Snapshot](60.0))
    reg = registry(s)
    assert reg.get_sample_value(m.SYNC_UP.name, {"application": "new"}) is None
    assert reg.get_sample_value(m.SYNC_INTERVAL.name, {"application": "new"}) == 60


def test_reload_status() -> None:
    reg = registry(reload=ReloadStatus(False, 1234.0))
    assert reg.get_sample_value(m.CONFIG_RELOAD_SUCCESSFUL.name) == 0
    assert reg.get_sample_value(m.CONFIG_RELOAD_SUCCESS_TIMESTAMP.name) == 1234.0


def test_every_help_says_values_are_cached() -> None:
    for spec in m.LICENSE_METRICS:
        assert "Cached from the last successful sync" in spec.help
    for spec in m.USER_METRICS:
        assert "Cached from the last successful user scan" in spec.help
    assert "7 days" in m.SEATS_USED_APPROXIMATE.help


def test_user_scan_metrics() -> None:
    snapshot = UsersSnapshot(
        (ProductUsers("bitbucket", 40, 3, (("30d", 11), ("90d", 5)), (("old", 1.6e9),)),)
    )
    reg = registry(state("bb", "bitbucket", users=users_state(snapshot)))
    labels = {"application": "bb", "product": "bitbucket"}
    assert reg.get_sample_value(m.INACTIVE_USERS.name, {**labels, "inactive_for": "30d"}) == 11
    assert reg.get_sample_value(m.INACTIVE_USERS.name, {**labels, "inactive_for": "90d"}) == 5
    assert reg.get_sample_value(m.USERS_NEVER_ACTIVE.name, labels) == 3
    assert reg.get_sample_value(m.USER_LAST_ACTIVE.name, {**labels, "user": "old"}) == 1.6e9
    app = {"application": "bb"}
    assert reg.get_sample_value(m.USERS_SYNC_UP.name, app) == 1
    assert reg.get_sample_value(m.USERS_SYNC_LAST_SUCCESS.name, app) == NOW - 60
    assert reg.get_sample_value(m.USERS_SYNC_DURATION.name, app) == 12.5
    assert reg.get_sample_value(m.USERS_SYNC_INTERVAL.name, app) == 3600


def test_failed_user_scan_keeps_counts_until_stale_and_sync_up_stays() -> None:
    snapshot = UsersSnapshot((ProductUsers("bitbucket", 1, 1, (("30d", 1),)),))
    users = users_state(snapshot, up=False, last_success=NOW - 3 * 3600)
    reg = registry(state("bb", "bitbucket", users=users))
    labels = {"application": "bb", "product": "bitbucket"}
    assert reg.get_sample_value(m.USERS_SYNC_UP.name, {"application": "bb"}) == 0
    assert reg.get_sample_value(m.SYNC_UP.name, {"application": "bb"}) == 1
    assert reg.get_sample_value(m.USERS_NEVER_ACTIVE.name, labels) == 1
    users.last_success = at(NOW - 3 * 3600 - 1)
    assert reg.get_sample_value(m.USERS_NEVER_ACTIVE.name, labels) is None


def test_no_user_metrics_for_types_without_user_scans() -> None:
    reg = registry(state("j", "jira", ProductLicense("jira-software", 1, 2, 1)))
    assert reg.get_sample_value(m.USERS_SYNC_INTERVAL.name, {"application": "j"}) is None


JIRA_ROUTES = {
    "/rest/api/2/applicationrole": fixture("jira/applicationrole.json"),
    "/rest/plugins/applications/1.0/installed/jira-software/license": fixture(
        "jira/license_jira-software.json"
    ),
    "/rest/plugins/applications/1.0/installed/jira-servicedesk/license": fixture(
        "jira/license_jira-servicedesk.json"
    ),
}
CONFLUENCE_ROUTES = {
    f"/rest/license/1.0/license/{name}": fixture(f"confluence/{name}.json")
    for name in ("userCount", "maxUsers", "remainingSeats", "details")
}
BITBUCKET_ROUTES = {"/rest/api/1.0/admin/license": fixture("bitbucket/admin_license.json")}
CROWD_ROUTES = crowd_routes()
CLOUD_COUNT = "/rest/api/3/license/approximateLicenseCount/product/{}"
JIRA_CLOUD_ROUTES = {
    "/rest/api/3/applicationrole": fixture("jira-cloud/applicationrole.json"),
    "/rest/api/3/instance/license": fixture("jira-cloud/instance_license.json"),
    CLOUD_COUNT.format("jira-software"): fixture("jira-cloud/approximate_jira-software.json"),
    CLOUD_COUNT.format("jira-core"): fixture("jira-cloud/approximate_jira-core.json"),
}
# Crowd's and the organization's goldens also show a user scan, with per-user detail on.
SCAN = ScanSettings(
    (("30d", 30 * 86400.0), ("90d", 90 * 86400.0), ("180d", 180 * 86400.0)), 90 * 86400.0, 5
)


@pytest.mark.parametrize(
    ("type", "routes"),
    [
        ("jira", JIRA_ROUTES),
        ("confluence", CONFLUENCE_ROUTES),
        ("bitbucket", BITBUCKET_ROUTES),
        ("crowd", CROWD_ROUTES),
        ("jira-cloud", JIRA_CLOUD_ROUTES),
        ("atlassian-org", {ORG_USERS: listing()}),
    ],
)
async def test_golden_exposition(type: str, routes: dict[str, object]) -> None:
    app = make_app(f"{type}-prod", type, **EXTRA.get(type, {}))
    snapshot = await TYPES[type].fetch(Upstream(routes).client(app), app)
    s = state(app.name, type, snapshot=snapshot)
    if type in ("crowd", "atlassian-org"):
        scan = TYPES[type].scan
        assert scan is not None
        users = await scan(Upstream(routes).client(app), app, SCAN, NOW)
        s.users = users_state(users, interval=3600.0)
    text = generate_latest(registry(s)).decode()
    # build_info carries the Python version of the machine running the test
    text = "".join(
        line + "\n" for line in text.splitlines() if not line.startswith(m.BUILD_INFO.name + "{")
    )
    golden = GOLDEN / f"{type}.prom"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
