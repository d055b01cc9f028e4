"""A real Prometheus scrapes the exporter (syncing from the simulator) and evaluates the shipped
rules: every dashboard and recording-rule expression returns data, and a seat alert driven by the
simulator becomes active."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from dashboards import queries
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
]
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
]


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


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[Process] = []
        self.started = time.monotonic()

    def start(self) -> None:
        sim, self.sim_url = start_simulator(self.tmp, "--instances", "demo")
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
