"""The status page's HTML from poller states: every state shown, everything escaped."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from dashboards import config as dashboards_config
from exporter.serve import status_page
from exporter.serve.collector import ReloadStatus
from exporter.serve.status_page import _public_url, render_status_page
from exporter.serve.status_text import duration as _duration
from exporter.sources.model import (
    AppLicense,
    AppsSnapshot,
    CrowdData,
    MarketplaceApp,
    ProductLicense,
    ProductUsers,
    Snapshot,
    UsersSnapshot,
)
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import FakeClock, app_dict, at, make_targets

NOW = 1_750_000_000.0


async def runtime_with(*names: str, config_path: Path | None = None) -> Runtime:
    poller = Poller(make_targets(*(app_dict(n) for n in names)), clock=FakeClock(NOW))
    runtime = Runtime(poller, config_path)
    runtime.started = NOW - 3725
    return runtime


def cells(html: str, name: str) -> str:
    row = re.search(rf"<tr><td>{re.escape(name)}</td>.*?</tr>", html, re.S)
    assert row, f"no row for {name}"
    return row[0]


async def test_success_row_shows_seats_with_bar_levels() -> None:
    runtime = await runtime_with("jira")
    state = runtime.poller.states["jira"]
    state.sync.up, state.sync.last_duration = True, 0.25
    state.sync.last_attempt = state.sync.last_success = at(NOW - 5)
    state.sync.next_due = NOW + 55
    state.sync.snapshot = Snapshot(
        (
            ProductLicense("jira-software", 99, 100, 1),
            ProductLicense("jira-servicedesk", 45, 50, 5),
            ProductLicense("confluence", 10, 100, 90),
            ProductLicense("jira-core", 7, None, None),
        )
    )
    row = cells(render_status_page(runtime), "jira")
    assert '<span class="badge ok">success</span>' in row
    assert "5s ago" in row and "next in 55s" in row and "0.250s" in row
    assert (
        '99 / 100</span><span class="bar" title="99% of the licensed seats"><span class="fail" style="width:99%">'
        in row
    )
    assert (
        '45 / 50</span><span class="bar" title="90% of the licensed seats"><span class="warn" style="width:90%">'
        in row
    )
    assert (
        '10 / 100</span><span class="bar" title="10% of the licensed seats"><span class="ok" style="width:10%">'
        in row
    )
    assert "7 / unlimited" in row


async def test_failure_row_shows_reason_counts_and_escaped_upstream_text() -> None:
    runtime = await runtime_with("broken", "pending")
    state = runtime.poller.states["broken"]
    state.sync.up, state.sync.last_attempt, state.sync.last_duration = False, at(NOW - 30), 1.5
    state.sync.last_error = 'not_json: body starts with "<html><script>alert(1)</script>"'
    state.failures = Counter({"not_json": 3, "timeout": 1})
    state.sync.consecutive_failures = 3
    # The last good data is still fresh; its product names came from the upstream too.
    state.sync.last_success = at(NOW - 60)
    state.sync.snapshot = Snapshot((ProductLicense("<img src=x onerror=alert(1)>", 1, 2, 1),))
    html = render_status_page(runtime)
    assert "<script>" not in html and "<img" not in html
    row = cells(html, "broken")
    assert '<span class="badge fail">failure</span>' in row
    assert "3 in a row, 4 in total" in row
    assert "not_json: body starts with &quot;&lt;html&gt;&lt;script&gt;alert(1)" in row
    assert "<span>&lt;img src=x onerror=alert(1)&gt;</span><span class=n>1 / 2</span>" in row
    assert "no data yet" in cells(html, "pending")
    assert '<span class="badge">pending</span>' in cells(html, "pending")
    assert "2 (0 syncing, 1 failing, 1 pending)" in html


async def test_stale_data_is_not_shown_as_current() -> None:
    runtime = await runtime_with("old")
    state = runtime.poller.states["old"]
    sync = state.sync
    sync.up, sync.last_attempt, sync.last_success = False, at(NOW - 10), at(NOW - 4 * sync.interval)
    sync.snapshot = Snapshot((ProductLicense("jira-software", 12, 100, 88),))
    row = cells(render_status_page(runtime), "old")
    assert "stale: older than 3 sync intervals" in row and "12 / 100" not in row


async def test_header_facts_and_failed_reload(tmp_path: Path) -> None:
    runtime = await runtime_with("a", config_path=tmp_path / "<config>.yaml")
    runtime.reload_status = ReloadStatus(False, NOW - 3725)
    runtime.last_reload_error = (
        "config.yaml: invalid configuration:\n  applications[0].type: <nope>"
    )
    html = render_status_page(runtime)
    assert "<dt>Uptime</dt><dd>1h 2m" in html
    assert f"<code>{tmp_path}/&lt;config&gt;.yaml</code>" in html
    assert '<span class="badge fail">failed</span>' in html
    assert "applications[0].type: &lt;nope&gt;" in html
    for href in ("/metrics", "/-/healthy", "/-/ready"):
        assert f'<a href="{href}">' in html


async def test_user_scan_column_shows_reclaimable_users_and_scan_health() -> None:
    poller = Poller(
        make_targets(
            app_dict("bb", "bitbucket"),
            app_dict("bb-failing", "bitbucket"),
            app_dict("bb-new", "bitbucket"),
            app_dict("bb-down", "bitbucket"),
            app_dict("confluence-8", "confluence"),
            app_dict("bb-first", "bitbucket"),
            app_dict("bb-paused", "bitbucket"),
            app_dict("jira"),
            users_sync_interval="1h",
        ),
        clock=FakeClock(NOW),
    )
    runtime = Runtime(poller, None)
    for name in ("bb", "bb-failing", "bb-new"):
        poller.states[name].sync.up = True
    poller.states["bb-down"].sync.up = False
    ok = poller.states["bb"].users
    assert ok is not None
    ok.up, ok.last_success = True, at(NOW - 300)
    ok.snapshot = UsersSnapshot(
        (ProductUsers("<b>bitbucket</b>", 40, 3, (("30d", 11), ("90d", 5), ("180d", 4))),)
    )
    failing = poller.states["bb-failing"].users
    assert failing is not None
    failing.up, failing.last_success = False, at(NOW - 4 * 3600)  # its counts are stale by now
    failing.last_error = "http_5xx: <html>HTTP 503</html>"
    failing.snapshot = UsersSnapshot((ProductUsers("bitbucket", 9, 9, ()),))

    poller.states["bb-paused"].sync.up = False
    paused = poller.states["bb-paused"].users
    assert paused is not None
    paused.up, paused.last_success = True, at(NOW - 120)
    paused.snapshot = UsersSnapshot((ProductUsers("bitbucket", 9, 2, ()),))
    old = poller.states["confluence-8"].users
    assert old is not None
    old.up, old.last_success, old.snapshot = True, at(NOW - 60), UsersSnapshot(())

    html = render_status_page(runtime)
    assert "<th>Seats used / limit, inactive users</th>" in html
    assert "No user activity data from this version." in cells(html, "confluence-8")
    row = cells(html, "bb")
    assert (
        "Inactive &lt;b&gt;bitbucket&lt;/b&gt; users <span>(of 40)</span>, for over "
        "<span>30d: 11</span> &middot; <span>90d: 5</span> &middot; <span>180d: 4</span>; "
        "<span>never active: 3</span> (in each)"
    ) in row
    assert "scanned 5m ago, every 1h</div>" in row
    row = cells(html, "bb-failing")
    assert 'User scan <span class="badge fail">failure</span>' in row
    assert "http_5xx: &lt;html&gt;HTTP 503&lt;/html&gt;" in row
    assert "never active: 9" not in row and "scanned 4h ago" in row  # stale: not shown
    assert "Inactive users: stale, older than 3 scan intervals, no longer exported" in row
    assert "Inactive users: first scan pending" in cells(html, "bb-new")
    assert "Inactive users: paused while the license sync fails" in cells(html, "bb-down")
    assert "Inactive users: first scan after the first license sync" in cells(html, "bb-first")
    row = cells(html, "bb-paused")  # good counts, license sync failing since
    assert "<span>never active: 2</span>" in row
    assert "scanned 2m ago, every 1h, paused while the license sync fails" in row
    assert 'class="users' not in cells(html, "jira")


def test_url_is_shown_without_credentials_query_or_fragment() -> None:
    assert _public_url("https://u:p@jira.example.com:8443/jira?os_authType=x#f") == (
        "https://jira.example.com:8443/jira"
    )
    assert _public_url("http://[::1]:8990/ctx") == "http://[::1]:8990/ctx"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m"), (192, "3m 12s"), (7500, "2h 5m"), (3 * 86400, "3d")],
)
def test_durations_read_like_a_person_writes_them(seconds: float, text: str) -> None:
    assert _duration(seconds) == text


def test_bar_colours_switch_where_the_seat_alerts_fire() -> None:
    assert status_page.SEATS_WARNING == dashboards_config.SEATS_UTILISATION_WARNING
    assert status_page.SEATS_CRITICAL == dashboards_config.SEATS_UTILISATION_CRITICAL


async def test_a_crowd_product_without_data_says_why() -> None:
    runtime = await runtime_with("jira")
    state = runtime.poller.states["jira"]
    state.sync.up, state.sync.last_attempt = True, at(NOW - 5)
    state.sync.last_success = at(NOW - 5)
    state.sync.snapshot = Snapshot(
        (ProductLicense("jira-software", 431, 500, 69),),
        (
            CrowdData("jira-software", "PRESENT", 57),
            CrowdData("jira-core", "NOT_CONFIGURED"),
            CrowdData("jira-servicedesk", "LOADING"),
        ),
    )
    row = cells(render_status_page(runtime), "jira")
    assert "431 / 500" in row
    assert (
        '<span>jira-core</span><span class=n>no data</span><span class="sub">Crowd: NOT_CONFIGURED'
        in row
    )
    assert "Crowd: LOADING" in row and "no licensed product" not in row
    state.sync.snapshot = Snapshot((), (CrowdData("bitbucket", "NOT_CONFIGURED"),))
    assert "Crowd: NOT_CONFIGURED" in cells(render_status_page(runtime), "jira")


async def test_marketplace_apps_are_listed_with_expiry_and_state_escaped() -> None:
    runtime = await runtime_with("jira")
    state = runtime.poller.states["jira"]
    assert state.apps is not None
    state.sync.up = True
    state.sync.last_attempt = state.sync.last_success = at(NOW - 5)
    state.sync.snapshot = Snapshot((ProductLicense("jira-software", 10, 500, 490),))
    state.apps.up, state.apps.last_success = True, at(NOW - 60)
    state.apps.snapshot = AppsSnapshot(
        (
            MarketplaceApp(
                "com.x.sr",
                "<b>ScriptRunner</b>",
                "8.2",
                True,
                AppLicense("COMMERCIAL", True, False, 500, expiry=NOW + 200 * 86400),
            ),
            MarketplaceApp(
                "com.x.eval",
                "Eval",
                "1.0",
                True,
                AppLicense("EVALUATION", True, True, 500, expiry=NOW + 5 * 86400),
            ),
            MarketplaceApp(
                "com.x.gl",
                "Gliffy",
                "3",
                True,
                AppLicense("COMMERCIAL", False, False, 100, error="USER_MISMATCH"),
            ),
            MarketplaceApp("com.x.free", "Free", "1", True, None),
            MarketplaceApp(
                "com.x.big", "Big", "2", False, AppLicense("ACADEMIC", True, False, None)
            ),
        )
    )
    row = cells(render_status_page(runtime), "jira")
    assert "Marketplace apps (5)" in row
    assert "&lt;b&gt;ScriptRunner&lt;/b&gt;" in row and "<b>" not in row
    assert "<span>COMMERCIAL</span><span>500</span><span>2026-01-" in row
    assert '<span class="warn">expires in 5d</span>' in row
    assert '<span class="fail">USER_MISMATCH</span>' in row
    assert '<span>none</span><span></span><span></span><span><span class="sub">free</span>' in row
    assert "<span>unlimited</span>" in row and "valid, disabled" in row


async def test_apps_waiting_and_failing() -> None:
    runtime = await runtime_with("jira")
    state = runtime.poller.states["jira"]
    assert state.apps is not None
    assert "Marketplace apps: first read after the first license sync" in cells(
        render_status_page(runtime), "jira"
    )
    state.sync.up = True
    state.apps.up, state.apps.last_error = False, "http_403: HTTP 403: <admin>"
    row = cells(render_status_page(runtime), "jira")
    assert 'Marketplace apps <span class="badge fail">failure</span>' in row
    assert "HTTP 403: &lt;admin&gt;" in row
