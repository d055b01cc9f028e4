"""Every PromQL expression reads known metrics, substitutes cleanly and parses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from dashboards import queries, render, rules
from dashboards.panels import iter_panels
from dashboards.queries import metric_names, substitute
from exporter.metrics import ALL_METRICS, GRACE_PERIOD_END, LICENSE_METRICS, SYNC_METRICS

RECORDED = {r.record for r in rules.RECORDING_RULES}
EXPORTED = {spec.name for spec in ALL_METRICS}
ALLOWED = EXPORTED | RECORDED | {"up"}


def variable_queries() -> list[tuple[str, str]]:
    """The selectors inside `label_values(selector, label)` template variables."""
    out = []
    for file, dashboard in render.dashboards().items():
        for variable in render.dashboard_data(dashboard)["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.*), \w+\)", str(variable["query"]))
            if match:
                out.append((f"{file}: ${variable['name']}", match.group(1)))
    return out


EVERYTHING = queries.all_expressions() + queries.alert_expressions() + variable_queries()


def test_all_expressions_covers_targets_and_recording_rules() -> None:
    where = [w for w, _ in queries.all_expressions()]
    assert len(where) == len(set(where))
    assert sum(w.startswith(rules.RULES_FILE) for w in where) == len(rules.RECORDING_RULES)
    targets = sum(
        len(p.get("targets", []))
        for d in render.dashboards().values()
        for p in iter_panels(render.dashboard_data(d))
    )
    assert len(where) == targets + len(rules.RECORDING_RULES)


@pytest.mark.parametrize(("where", "expr"), EVERYTHING, ids=[w for w, _ in EVERYTHING])
def test_metric_names_are_exported_recorded_or_up(where: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{where}: no metric found in {expr}"
    assert names <= ALLOWED, f"{where}: unknown {names - ALLOWED}"


def test_every_license_and_sync_metric_is_used() -> None:
    used = set().union(*(metric_names(e) for _, e in EVERYTHING))
    # The grace period end is informational; nothing shows or alerts on it yet.
    expected = {spec.name for spec in (*LICENSE_METRICS, *SYNC_METRICS)} - {GRACE_PERIOD_END.name}
    assert expected <= used, expected - used


def test_metric_names_parser() -> None:
    expr = (
        'max without(instance, pod) (increase(a_total{job="x", b="$y"}[$__rate_interval]))'
        " / on(c) group_left() lvl:b:ratio offset 5m > 1e3 or vector(0) * NaN"
    )
    assert metric_names(expr) == {"a_total", "lvl:b:ratio"}


def test_substitute() -> None:
    expr = 'x{application="$application", product=~"${product}"}[$forecast_window] $__range'
    assert substitute(expr, "jira", "jira-software", __range="2h") == (
        'x{application="jira", product=~"jira-software"}[7d] 2h'
    )
    with pytest.raises(ValueError, match=r"\$nope"):
        substitute("x[$nope]", "jira", "jira-software")


def test_every_expression_substitutes_completely() -> None:
    for where, expr in queries.all_expressions():
        assert "$" not in substitute(expr, "jira", "jira-software"), where


@pytest.mark.integration
def test_every_substituted_expression_parses(tmp_path: Path) -> None:
    """promtool parses each expression as a recording rule: a syntax error fails the check."""
    exprs = queries.all_expressions() + queries.alert_expressions()
    doc = {
        "groups": [
            {
                "name": "parse-check",
                "rules": [
                    {"record": f"parse_check_{i}", "expr": substitute(e, "jira", "jira-software")}
                    for i, (_, e) in enumerate(exprs)
                ],
            }
        ]
    }
    path = tmp_path / "parse.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
