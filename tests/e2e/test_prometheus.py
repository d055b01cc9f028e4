"""A real Prometheus scrapes the exporter (syncing from the simulator) and evaluates the shipped
rules: every dashboard and recording-rule expression returns data, and a seat alert driven by the
simulator becomes active."""

from __future__ import annotations

import functools
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from dashboards import queries, render
from dashboards.panels import iter_panels
from dashboards.render import GENERATED_DIR
from dashboards.rules import RULES_FILE
from tests.e2e.processes import Process, exporter_cmd, free_port, start_simulator, wait_until

pytestmark = pytest.mark.integration  # every test here asks the Prometheus the module starts

JOB = "atlassian-license-exporter"
APPS = [
    ("jira-prod", "jira"),
    ("confluence-prod", "confluence"),
    ("confluence-legacy", "confluence"),
    ("bitbucket-prod", "bitbucket"),
    ("jira-emea", "crowd"),
    ("confluence-emea", "crowd"),
    ("jira-cloud", "jira-cloud"),
    # The planner scenario: seats growing steadily (GROWTH_PER_DAY), renewal in 60 days.
    ("jira-growth", "jira"),
]
# One seat every 5 s: within the test's minute the 30-day slope is steep enough that the
# forecast at renewal exceeds the 1000-seat limit.
GROWTH_PER_DAY = 86400 / 5
# Crowd entries: (Crowd's id and type of the application), all on the simulator's "crowd".
CROWD = {"jira-emea": (3, "jira"), "confluence-emea": (5, "confluence")}
CLOUD_LOGIN = {"username": "admin@example.com", "password": "demo-api-token"}
# Points at jira-prod with a wrong password: the sync-failure panels have something to show.
FAILING = "jira-badcreds"
# What a dashboard user would pick: a product at 99 %, a growing one, and the failing application.
# Every expression must return data for at least one of these.
SCENARIOS = [
    ("jira-prod", "jira-software"),
    ("jira-prod", "jira-servicedesk"),
    (FAILING, "jira-software"),
    # User scans (reclaimable seats), Crowd's data age, Jira Cloud's approximate count.
    ("bitbucket-prod", "bitbucket"),
    ("jira-emea", "jira-software"),
    ("jira-cloud", "jira-software"),
    ("jira-growth", "jira-software"),
]
DAY = 86400


def application(name: str, type_: str, sim_url: str) -> dict[str, Any]:
    login = {"username": "admin", "password": "admin"}
    if name in CROWD:
        ident, kind = CROWD[name]
        crowd = {"crowd_application_id": ident, "crowd_application_type": kind}
        return {"name": name, "type": type_, **crowd,
                "link": {"url": f"{sim_url}/crowd", "basic_auth": login}}  # fmt: skip
    if type_ == "jira-cloud":
        login = CLOUD_LOGIN
    return {"name": name, "type": type_, "link": {"url": f"{sim_url}/{name}", "basic_auth": login}}


def _date(seconds: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[Process] = []
        self.started = time.monotonic()

    def start(self) -> None:
        sim, self.sim_url = start_simulator(
            self.tmp, "--instances", "planner", "--growth-per-day", str(GROWTH_PER_DAY)
        )
        self.procs.append(sim)
        # jira-software at 99 % of its 500 seats: the critical seat alert must become active.
        httpx.post(
            f"{self.sim_url}/-/sim/jira-prod/seats", json={"product": "jira-software", "used": 495}
        ).raise_for_status()
        config = self.tmp / "exporter.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {
                        "sync_interval": "2s",
                        "timeout": "2s",
                        "users_sync_interval": "5s",
                        "user_detail": {"inactive_for": "90d", "max_users": 10},
                        # The renewal planner, as a user sets it up. The Data Center dates are
                        # moved close, so the expansion deadline has something to warn about.
                        "tiers": [500, 1000, 2000, 5000],
                        "cost": {
                            "currency": "EUR",
                            "annual": {500: 27000, 1000: 48000, 2000: 84000},
                        },
                        "labels": {"team": "tools"},
                        "reclaim": {"exclude_users": ["svc-.*", "bot-.*"]},
                        "dc_sunset": {
                            "last_expansion": _date(time.time() + 30 * DAY),
                            "end_of_life": _date(time.time() + 90 * DAY),
                        },
                    },
                    "applications": [application(n, t, self.sim_url) for n, t in APPS]
                    + [
                        {
                            "name": FAILING,
                            "type": "jira",
                            "link": {
                                "url": f"{self.sim_url}/jira-prod",
                                "basic_auth": {"username": "admin", "password": "wrong"},
                            },
                        }
                    ],
                }
            )
        )
        port = free_port()
        self.exporter_addr = f"127.0.0.1:{port}"
        self.procs.append(
            Process(
                exporter_cmd(
                    "--config.file", str(config), "--web.listen-address", self.exporter_addr
                ),
                self.tmp / "exporter.log",
            )
        )
        prom_config = self.tmp / "prometheus.yml"
        prom_config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(GENERATED_DIR / RULES_FILE)],
                    "scrape_configs": [
                        {"job_name": JOB, "static_configs": [{"targets": [self.exporter_addr]}]}
                    ],
                }
            )
        )
        prom_port = free_port()
        self.prom = f"http://127.0.0.1:{prom_port}"
        self.procs.append(
            Process(
                [
                    "prometheus",
                    f"--config.file={prom_config}",
                    f"--storage.tsdb.path={self.tmp / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--log.level=warn",
                ],
                self.tmp / "prometheus.log",
            )
        )
        wait_until(lambda: httpx.get(f"{self.prom}/-/ready").status_code == 200, 60, "Prometheus")

    def query(self, expr: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.prom}/api/v1/query", params={"query": expr}, timeout=10)
        body = response.json()
        assert body["status"] == "success", f"{expr}: {body}"
        result = body["data"]["result"]
        return result if isinstance(result, list) else [result]

    def stop(self) -> str:
        logs = ""
        for proc in reversed(self.procs):
            proc.stop()
            logs += f"--- {proc.log.name}\n{proc.output()[-3000:]}\n"
        return logs


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    assert shutil.which("prometheus"), (
        "prometheus not found: run scripts/test.sh (apt-get install prometheus)"
    )
    s = Stack(tmp_path_factory.mktemp("stack"))
    try:
        s.start()
        # jira-servicedesk agents grow by one a second: the run-out forecast has a slope.
        for used in range(40, 48):
            httpx.post(
                f"{s.sim_url}/-/sim/jira-prod/seats",
                json={"product": "jira-servicedesk", "used": used},
            ).raise_for_status()
            time.sleep(1)
        # Enough scrapes and rule evaluations for rates, forecasts and recorded series.
        wait_until(
            lambda: (
                len(
                    s.query(
                        "count_over_time(application_product:atlassian_license_seats_utilisation:ratio[1m]) >= 5"
                    )
                )
                > 0
            ),
            90,
            "five evaluations of the recording rules",
        )
        yield s
    finally:
        print(s.stop())


def test_prometheus_scrapes_the_exporter(stack: Stack) -> None:
    up = stack.query(f'up{{job="{JOB}"}}')
    assert [r["value"][1] for r in up] == ["1"]
    synced = stack.query("atlassian_license_sync_up == 1")
    assert sorted(r["metric"]["application"] for r in synced) == sorted(n for n, _ in APPS)
    failing = stack.query('atlassian_license_sync_failures_total{reason="http_401"} > 0')
    assert [r["metric"]["application"] for r in failing] == [FAILING]


EXPRESSIONS = queries.all_expressions()


@pytest.mark.parametrize(("where", "expr"), EXPRESSIONS, ids=[w for w, _ in EXPRESSIONS])
def test_every_dashboard_and_recording_expression_returns_data(
    stack: Stack, where: str, expr: str
) -> None:
    tried = [queries.substitute(expr, app, product, __range="1m") for app, product in SCENARIOS]
    assert any(stack.query(promql) for promql in tried), f"{where}: no data for any of {tried}"


def test_every_referenced_metric_exists(stack: Stack) -> None:
    names = {
        name
        for _, e in EXPRESSIONS + queries.alert_expressions()
        for name in queries.metric_names(e)
    }
    for name in sorted(names):
        if name == "up":
            continue
        assert stack.query(f"count({name})"), (
            f"{name} is referenced but neither exported nor recorded"
        )


def test_seat_alert_driven_by_the_simulator_becomes_active(stack: Stack) -> None:
    def active() -> list[dict[str, Any]]:
        alerts = httpx.get(f"{stack.prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return [
            a
            for a in alerts
            if a["labels"]["alertname"] == "AtlassianLicenseSeatsNearlyExhausted"
            and a["labels"].get("severity") == "critical"
        ]

    wait_until(lambda: bool(active()), 30, "AtlassianLicenseSeatsNearlyExhausted (critical)")
    (alert,) = active()
    assert alert["state"] in ("pending", "firing")
    assert (alert["labels"]["application"], alert["labels"]["product"]) == (
        "jira-prod",
        "jira-software",
    )
    assert "99%" in alert["annotations"]["description"]
    # The unlimited jira-core role never fires a seat alert.
    alerts = httpx.get(f"{stack.prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    assert not [
        a
        for a in alerts
        if a["labels"].get("product") == "jira-core" and "Seats" in a["labels"]["alertname"]
    ]


def alerts(stack: Stack, name: str) -> list[dict[str, Any]]:
    found = httpx.get(f"{stack.prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return [a for a in found if a["labels"]["alertname"] == name]


def test_tier_alerts_go_pending_with_the_owner_team_label(stack: Stack) -> None:
    def growing(name: str) -> list[dict[str, Any]]:
        return [
            a
            for a in alerts(stack, name)
            if (a["labels"]["application"], a["labels"]["product"])
            == ("jira-growth", "jira-software")
        ]

    for name in ("AtlassianLicenseTierExceededBeforeRenewal", "AtlassianLicenseExpansionDeadline"):
        wait_until(functools.partial(lambda n: bool(growing(n)), name), 30, name)
        (alert,) = growing(name)
        assert alert["state"] in ("pending", "firing")
        assert alert["labels"]["team"] == "tools"  # the owner label reaches Alertmanager
        assert (
            "jira-software on jira-growth is forecast to need"
            in (alert["annotations"]["description"])
        )
    # Cloud never has the Data Center deadline, however it grows; unlimited roles never alert.
    deadline = alerts(stack, "AtlassianLicenseExpansionDeadline")
    assert all(a["labels"]["application"] != "jira-cloud" for a in deadline)
    tier = alerts(stack, "AtlassianLicenseTierExceededBeforeRenewal")
    assert all(a["labels"]["product"] != "jira-core" for a in deadline + tier)


def test_the_renewal_planner_row_is_filled(stack: Stack) -> None:
    """Every column of the planner table has data; all but the reclaimable seats (Jira Data
    Center has no user scan) for the growing Jira, with its owner label."""
    dashboard = render.dashboard_data(render.dashboards()["license-overview.json"])
    (table,) = [
        panel
        for panel in iter_panels(dashboard)
        if panel["title"] == "Renewal planner" and panel["type"] == "table"
    ]
    for target in table["targets"]:
        result = stack.query(target["expr"])
        rows = {(r["metric"].get("application"), r["metric"].get("product")) for r in result}
        assert result, target["refId"]
        if target["refId"] != "H":
            assert ("jira-growth", "jira-software") in rows, target["refId"]
        assert all(r["metric"].get("team") == "tools" for r in result), target["refId"]
    growth = '{application="jira-growth",product="jira-software"}'
    next_tier = stack.query(f"application_product:atlassian_license_tier_next_seats:max{growth}")
    assert [r["value"][1] for r in next_tier] == ["2000"]
    groups = stack.query(
        'application_product_group:atlassian_license_group_members:max{application="jira-growth"}'
    )
    assert {r["metric"]["group"] for r in groups} >= {"jira-software-users", "jira-administrators"}


def test_app_tier_mismatch_alert_goes_pending_for_the_simulators_apps(stack: Stack) -> None:
    """The demo's Jira has an app a tier below its largest product and one UPM reports a user
    mismatch for; its unlimited, free and healthy apps stay silent."""

    def mismatched() -> list[dict[str, Any]]:
        alerts = httpx.get(f"{stack.prom}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
        return [
            a
            for a in alerts
            if a["labels"]["alertname"] == "AtlassianLicenseAppTierMismatch"
            and a["labels"]["application"] == "jira-prod"
        ]

    wait_until(lambda: len(mismatched()) >= 2, 30, "AtlassianLicenseAppTierMismatch (pending)")
    alerts = mismatched()
    assert {a["state"] for a in alerts} == {"pending"}  # for: 30m
    assert sorted(a["labels"]["app"] for a in alerts) == [
        "com.example.jira.comala-workflows",  # 250 users on a 500-user Jira
        "com.example.jira.gliffy",  # UPM: USER_MISMATCH
    ]
    info = stack.query('atlassian_license_app_info{application="jira-prod"}')
    assert len(info) == 10  # the user-installed apps only, of 82 plugins
    free = stack.query('atlassian_license_app_info{application="jira-prod",license_type="none"}')
    assert len(free) == 3
    assert stack.query('atlassian_license_apps_sync_up{application="jira-prod"} == 1')
