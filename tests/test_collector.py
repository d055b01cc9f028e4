from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter import metrics as m
from exporter.collector import LicenseCollector, ReloadStatus
from exporter.model import ProductLicense, Snapshot
from exporter.poller import AppState
from exporter.sources import SOURCES
from tests.factories import Upstream, fixture, make_app

GOLDEN = Path(__file__).parent / "golden"
NOW = 1_750_000_000.0


def state(
    name: str = "app", type: str = "jira", *products: ProductLicense, **kw: object
) -> AppState:
    s = AppState(make_app(name, type), interval=60.0, timeout=30.0)
    s.snapshot = Snapshot(products)
    s.last_success, s.last_attempt, s.last_duration, s.up = NOW - 10, NOW - 10, 0.25, True
    for key, value in kw.items():
        setattr(s, key, value)
    return s


def registry(
    *states: AppState, now: float = NOW, reload: ReloadStatus | None = None
) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    by_name = {s.app.name: s for s in states}
    reg.register(
        LicenseCollector(
            lambda: by_name, clock=lambda: now, reload_status=(lambda: reload) if reload else None
        )
    )
    return reg


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
    s.last_success = NOW - 180
    assert (
        reg.get_sample_value(m.SEATS_USED.name, {"application": "a", "product": "jira-software"})
        == 1
    )


def test_no_sync_up_before_the_first_sync() -> None:
    s = AppState(make_app("new"), interval=60, timeout=30)
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


@pytest.mark.parametrize(
    ("type", "routes"),
    [("jira", JIRA_ROUTES), ("confluence", CONFLUENCE_ROUTES), ("bitbucket", BITBUCKET_ROUTES)],
)
async def test_golden_exposition(type: str, routes: dict[str, object]) -> None:
    app = make_app(f"{type}-prod", type)
    snapshot = await SOURCES[type](Upstream(routes).client(app), app)
    s = state(app.name, type, *snapshot.products)
    text = generate_latest(registry(s)).decode()
    # build_info carries the Python version of the machine running the test
    text = "".join(
        line + "\n" for line in text.splitlines() if not line.startswith(m.BUILD_INFO.name + "{")
    )
    golden = GOLDEN / f"{type}.prom"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
