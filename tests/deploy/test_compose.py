"""docker-compose.yml and the files it mounts, checked without a Docker daemon: the Compose
schema, every mounted file present, then each service's own checker on its files laid out as the
container sees them (promtool, amtool, a JSON schema for Grafana's provisioning)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from dashboards import config as dashboards_config
from dashboards import render, rules
from exporter.cli import DEFAULT_LISTEN, build_parser
from tests.deploy.files import DEPLOY, ROOT, SCHEMAS, load_yaml, tool, venv_tool

COMPOSE = ROOT / "docker-compose.yml"
REAL_CONFIG = DEPLOY / "compose" / "real-config.yml"
EXPORTER_PORT = int(DEFAULT_LISTEN.rsplit(":", 1)[1])


def compose() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


def service(name: str) -> dict[str, Any]:
    result: dict[str, Any] = compose()["services"][name]
    return result


def binds(name: str) -> dict[str, Path]:
    """Container path -> host path of a service's bind mounts (short syntax)."""
    out = {}
    for volume in service(name).get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            out[target] = (COMPOSE.parent / source).resolve()
    return out


def stage(name: str, root: Path) -> Path:
    """Copy a service's bind mounts under `root` at their container paths."""
    for target, source in binds(name).items():
        destination = root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy(source, destination)
    return root


def flag(name: str, key: str) -> str:
    """The value of `--key=value` in a service's command."""
    values = [a.split("=", 1)[1] for a in service(name)["command"] if a.startswith(f"--{key}=")]
    assert len(values) == 1, f"{name}: --{key}"
    return values[0]


@pytest.mark.integration
@pytest.mark.parametrize("path", [COMPOSE, REAL_CONFIG], ids=lambda p: p.name)
def test_compose_files_follow_the_compose_specification(path: Path) -> None:
    result = subprocess.run(
        [venv_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_stack_has_its_four_services_on_their_ports() -> None:
    data = compose()
    assert set(data["services"]) == {"exporter", "prometheus", "alertmanager", "grafana"}
    ports = {name: s["ports"] for name, s in data["services"].items()}
    assert ports == {
        "exporter": [f"{EXPORTER_PORT}:{EXPORTER_PORT}"],
        "prometheus": ["9090:9090"],
        "alertmanager": ["9093:9093"],
        "grafana": ["3000:3000"],
    }
    named = {
        v.split(":")[0]
        for s in data["services"].values()
        for v in s.get("volumes", [])
        if not v.startswith((".", "/"))
    }
    assert named == set(data["volumes"]), "every named volume is declared, and only those"


def test_every_mounted_file_exists() -> None:
    for name in compose()["services"]:
        for target, source in binds(name).items():
            assert source.exists(), f"{name}: {source} (mounted at {target}) does not exist"
            assert source.is_relative_to(ROOT), f"{name}: {source} is outside the repository"


def test_exporter_is_built_here_and_runs_the_demo() -> None:
    exporter = service("exporter")
    assert (COMPOSE.parent / exporter["build"] / "Dockerfile").is_file()
    args = build_parser().parse_args(exporter["command"])
    assert args.demo and args.listen == ("", EXPORTER_PORT)
    assert exporter["read_only"] is True and exporter["cap_drop"] == ["ALL"]


@pytest.mark.integration
def test_prometheus_config_and_rules_pass_promtool_as_mounted(tmp_path: Path) -> None:
    root = stage("prometheus", tmp_path)
    config = root / flag("prometheus", "config.file").lstrip("/")
    result = subprocess.run(
        [tool("promtool", "prometheus"), "check", "config", str(config)],
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The rule file resolved where the container has it, and all its rules were checked.
    assert "SUCCESS: 1 rule files found" in output, output
    count = sum(len(g["rules"]) for g in rules.rules_document()["groups"])
    assert f"SUCCESS: {count} rules found" in output, output
    assert binds("prometheus")["/etc/prometheus/rules/atlassian-license-rules.yaml"] == (
        render.GENERATED_DIR / rules.RULES_FILE
    )


def test_prometheus_scrapes_the_exporter_as_the_job_the_rules_select() -> None:
    config = load_yaml(DEPLOY / "compose" / "prometheus" / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    job = jobs[dashboards_config.JOB]
    assert job["static_configs"] == [{"targets": [f"exporter:{EXPORTER_PORT}"]}]
    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"] == [{"targets": ["alertmanager:9093"]}]


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("amtool", "prometheus-alertmanager"), *args], capture_output=True, text=True
    )


@pytest.mark.integration
def test_alertmanager_config_passes_amtool(tmp_path: Path) -> None:
    root = stage("alertmanager", tmp_path)
    config = root / flag("alertmanager", "config.file").lstrip("/")
    result = amtool("check-config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.integration
@pytest.mark.parametrize(
    ("severity", "receiver"), [("critical", "pager"), ("warning", "tickets"), ("info", "tickets")]
)
def test_alertmanager_routes_each_shipped_severity(severity: str, receiver: str) -> None:
    config = DEPLOY / "compose" / "alertmanager" / "alertmanager.yml"
    alert = next(a for a in rules.ALERTS if a.severity == severity)
    result = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        f"alertname={alert.name}",
        f"severity={severity}",
        "application=jira-prod",
        "product=jira-software",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


@pytest.mark.integration  # amtool
@pytest.mark.parametrize(
    ("alertname", "severity", "team", "receiver"),
    [
        ("AtlassianLicenseTierExceededBeforeRenewal", "warning", "tools", "team-tools"),
        ("AtlassianLicenseExpansionDeadline", "warning", "tools", "team-tools"),
        ("AtlassianLicenseSeatsNearlyExhausted", "critical", "tools", "team-tools-pager"),
        # Another team, or none: the severity routes.
        ("AtlassianLicenseTierExceededBeforeRenewal", "warning", "billing", "tickets"),
        ("AtlassianLicenseSeatsNearlyExhausted", "critical", "", "pager"),
    ],
)
def test_alertmanager_routes_by_the_owner_team_label(
    alertname: str, severity: str, team: str, receiver: str
) -> None:
    config = DEPLOY / "compose" / "alertmanager" / "alertmanager.yml"
    assert alertname in rules.alert_names()
    labels = [f"alertname={alertname}", f"severity={severity}", "application=jira-prod"]
    result = amtool(
        "config",
        "routes",
        "test",
        f"--config.file={config}",
        *labels,
        *([f"team={team}"] if team else []),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [receiver]


def test_every_shipped_severity_has_a_test_above() -> None:
    assert {a.severity for a in rules.ALERTS} <= {"critical", "warning", "info"}


def test_grafana_provisioning_files_match_their_schemas() -> None:
    mounts = binds("grafana")
    for kind, schema_file in [
        ("datasources", "grafana-datasources.json"),
        ("dashboards", "grafana-dashboard-providers.json"),
    ]:
        schema = json.loads((SCHEMAS / schema_file).read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        files = sorted(mounts[f"/etc/grafana/provisioning/{kind}"].glob("*"))
        assert files and all(f.suffix in (".yml", ".yaml") for f in files), files
        for path in files:
            jsonschema.validate(load_yaml(path), schema, cls=jsonschema.Draft202012Validator)


def test_grafana_gets_both_dashboards_and_a_default_prometheus(tmp_path: Path) -> None:
    root = stage("grafana", tmp_path)
    (provider,) = load_yaml(root / "etc/grafana/provisioning/dashboards/atlassian-license.yml")[
        "providers"
    ]
    assert provider["folder"] == "Licenses"
    dashboards_dir = root / provider["options"]["path"].lstrip("/")
    loaded = {json.loads(p.read_text())["uid"] for p in dashboards_dir.glob("*.json")}
    built = {render.dashboard_data(d)["uid"] for d in render.dashboards().values()}
    assert loaded == built == {dashboards_config.OVERVIEW_UID, dashboards_config.APPLICATION_UID}
    home = service("grafana")["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert json.loads((root / home.lstrip("/")).read_text())["uid"] == (
        dashboards_config.OVERVIEW_UID
    )

    (datasource,) = load_yaml(root / "etc/grafana/provisioning/datasources/prometheus.yml")[
        "datasources"
    ]
    assert datasource["isDefault"] is True
    assert datasource["url"] == "http://prometheus:9090"
    # The dashboards' $datasource variable lists data sources of this type.
    for dashboard in render.dashboards().values():
        variables = render.dashboard_data(dashboard)["templating"]["list"]
        (variable,) = [v for v in variables if v["type"] == "datasource"]
        assert variable["query"] == datasource["type"] == "prometheus"


def test_real_config_override_runs_the_exporter_on_a_mounted_config_with_env_secrets() -> None:
    override = load_yaml(REAL_CONFIG)
    exporter = override["services"]["exporter"]
    args = build_parser().parse_args(exporter["command"])
    (config,) = exporter["configs"]
    assert str(args.config_file) == config["target"]
    # The one file it names is the user's own config.yaml, which the README says to write.
    assert override["configs"][config["source"]] == {"file": "./config.yaml"}
    for secret in exporter["secrets"]:
        assert re.fullmatch(r"[A-Z_]+", override["secrets"][secret]["environment"])
