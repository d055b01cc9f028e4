"""The generated rules file: promtool validity, unit tests, mixin conventions, runbook links."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import config, rules
from dashboards.queries import metric_names
from dashboards.render import GENERATED_DIR, rules_yaml
from exporter.metrics import ALL_METRICS

ROOT = Path(__file__).resolve().parents[2]
RULES_PATH = GENERATED_DIR / rules.RULES_FILE
UNIT_TESTS = Path(__file__).with_name("alerts_test.yaml")
RUNBOOK = ROOT / "docs" / "runbook.md"

DOC: dict[str, Any] = yaml.safe_load(rules_yaml())
ALERTS = [r for g in DOC["groups"] for r in g["rules"] if "alert" in r]
RECORDS = [r for g in DOC["groups"] for r in g["rules"] if "record" in r]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    # scripts/test.sh installs Debian's prometheus; a missing promtool is a failure, not a skip.
    assert shutil.which("promtool"), (
        "promtool not found: run scripts/test.sh (apt-get install prometheus)"
    )
    return subprocess.run(["promtool", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.integration
def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", str(RULES_PATH))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS) + len(RECORDS)} rules found" in result.stdout


@pytest.mark.integration
def test_promtool_unit_tests() -> None:
    result = promtool("test", "rules", str(UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def unit_test_cases() -> list[dict[str, Any]]:
    doc = yaml.safe_load(UNIT_TESTS.read_text())
    assert doc["rule_files"] == [f"../../dashboards/generated/{rules.RULES_FILE}"]
    return [case for group in doc["tests"] for case in group.get("alert_rule_test", [])]


@pytest.mark.parametrize("name", rules.alert_names())
def test_every_alert_is_unit_tested_firing_and_silent(name: str) -> None:
    cases = [c for c in unit_test_cases() if c["alertname"] == name]
    firing = [a for c in cases for a in c["exp_alerts"]]
    assert any("exp_annotations" in a for a in firing), f"{name}: no firing case with annotations"
    assert any(not c["exp_alerts"] for c in cases), f"{name}: no silent case"
    severities = {r["labels"]["severity"] for r in ALERTS if r["alert"] == name}
    assert severities <= {a["exp_labels"]["severity"] for a in firing}, (
        f"{name}: a severity untested"
    )


@pytest.mark.parametrize(
    "rule", ALERTS, ids=[f"{r['alert']}-{r['labels']['severity']}" for r in ALERTS]
)
def test_alert_conventions(rule: dict[str, Any]) -> None:
    assert re.fullmatch(rf"{rules.PREFIX}(?:[A-Z][a-z]+)+", rule["alert"])
    assert rule["labels"] == {"severity": rule["labels"]["severity"]}
    # info: purchasing hints ("reclaim before you buy"), routed to the license owner.
    assert rule["labels"]["severity"] in {"info", "warning", "critical"}
    assert rule["for"]
    notes = rule["annotations"]
    assert set(notes) == {"summary", "description", "runbook_url"}
    summary = notes["summary"]
    assert summary[0].isupper() and summary.endswith(".") and summary.count(". ") == 0
    assert "{{" not in summary, "summary must be static"
    assert notes["description"].endswith(".")
    assert notes["runbook_url"] == f"{config.RUNBOOK_BASE_URL}#{rule['alert'].lower()}"


def test_same_summary_for_each_alert_name() -> None:
    for name in rules.alert_names():
        assert len({r["annotations"]["summary"] for r in ALERTS if r["alert"] == name}) == 1


def test_seat_and_expiry_descriptions_name_application_product_and_value() -> None:
    for rule in ALERTS:
        if "application_product:" in rule["expr"]:
            description = rule["annotations"]["description"]
            for part in ("$labels.application", "$labels.product", "$value | humanize"):
                assert part in description, (rule["alert"], part)


def test_expiry_alerts_use_strict_less_than() -> None:
    for rule in ALERTS:
        assert "==" not in rule["expr"].replace("== 0", "").replace("== 1", ""), rule["alert"]
        if "Expiring" in rule["alert"]:
            assert "time()) <" in rule["expr"] and "<=" not in rule["expr"]


def test_thresholds_come_from_config() -> None:
    exprs = {(r["alert"], r["labels"]["severity"]): r["expr"] for r in ALERTS}
    seats = "AtlassianLicenseSeatsNearlyExhausted"
    assert f">= {config.SEATS_UTILISATION_WARNING}" in exprs[(seats, "warning")]
    assert f">= {config.SEATS_UTILISATION_CRITICAL}" in exprs[(seats, "critical")]
    expiring = "AtlassianLicenseExpiringSoon"
    assert f"< {config.LICENSE_EXPIRY_WARNING_DAYS} * 86400" in exprs[(expiring, "warning")]
    assert f"< {config.LICENSE_EXPIRY_CRITICAL_DAYS} * 86400" in exprs[(expiring, "critical")]
    forecast = exprs[("AtlassianLicenseSeatsFillingUp", "warning")]
    assert f"[{config.FORECAST_RANGE_DAYS}d], {config.FORECAST_HORIZON_DAYS} * 86400)" in forecast
    assert f">= {config.FORECAST_GATE_UTILISATION}" in forecast
    assert f"> {config.STALE_FACTOR} *" in exprs[("AtlassianLicenseDataStale", "warning")]
    assert config.JOB_SELECTOR in exprs[("AtlassianLicenseExporterAbsent", "warning")]
    reclaim = exprs[("AtlassianLicenseSeatsReclaimable", "info")]
    assert f'{{inactive_for="{config.RECLAIM_INACTIVE_FOR}"}} > {config.RECLAIM_SHARE}' in reclaim
    assert f">= {config.SEATS_UTILISATION_WARNING}" in reclaim


def test_recording_rule_names() -> None:
    for rule in RECORDS:
        level, metric, operation = rule["record"].split(":")
        assert re.fullmatch(r"[a-z]+(?:_[a-z]+)*", level), rule["record"]
        assert metric.startswith("atlassian_license_"), rule["record"]
        assert re.fullmatch(r"[a-z0-9_]+", operation), rule["record"]
    names = [r["record"] for r in RECORDS]
    assert len(names) == len(set(names))
    assert "application_product:atlassian_license_seats_utilisation:ratio" in names


def test_raw_metrics_are_selected_by_job_and_replicas_aggregated() -> None:
    exported = {spec.name for spec in ALL_METRICS}
    for rule in RECORDS:
        if metric_names(rule["expr"]) & exported:
            assert config.JOB_SELECTOR in rule["expr"], rule["record"]
            assert "without(instance, pod)" in rule["expr"], rule["record"]


def github_anchor(heading: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def test_runbook_has_a_section_per_alert() -> None:
    text = RUNBOOK.read_text()
    sections = dict(re.findall(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S))
    anchors = {github_anchor(h): body for h, body in sections.items()}
    for name in rules.alert_names():
        assert name.lower() in anchors, f"docs/runbook.md lacks a section for {name}"
        body = anchors[name.lower()]
        for part in ("**Meaning.**", "**Impact.**", "**Diagnosis.**", "**Mitigation.**"):
            assert part in body, f"{name}: missing {part}"
    for link in re.findall(r"\]\(#([\w-]+)\)", text):
        assert link in anchors, f"broken in-page link #{link}"
