"""The export form (dashboards/export/) against the provisioning form (dashboards/generated/):
same dashboards, bound to a DS_PROMETHEUS import input, with the `__requires` grafana.com shows.

No Grafana runs here (it is not packaged for this machine); `grafana_import` re-implements the
substitution Grafana's import performs (pkg/services/dashboardimport/utils/
dash_template_evaluator.go) so the tests can check what an import would produce.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from dashboards import export, render
from dashboards.__main__ import main
from dashboards.panels import PLUGIN_VERSION

Json = dict[str, Any]

PROVISIONING: dict[str, Json] = {
    p.name: json.loads(p.read_text(encoding="utf-8")) for p in render.GENERATED_DIR.glob("*.json")
}
EXPORTED: dict[str, Json] = {
    p.name: json.loads(p.read_text(encoding="utf-8")) for p in render.EXPORT_DIR.glob("*.json")
}
INPUT_REF = "${DS_PROMETHEUS}"
BOUND = {"type": "prometheus", "uid": INPUT_REF}
# The first Grafana release whose dashboard model has this schemaVersion: 39 came with the
# timeSeriesTable migration (grafana/grafana#76801, merged October 2023, after 10.2.0).
SCHEMA_SINCE = {39: Version("10.3.0")}
# Grafana's import: `${NAME}` of a declared input becomes its value; other `${...}` stay.
_VARIABLE = re.compile(r"\$\{.+?\}")


def all_panels(dashboard: Json) -> Iterator[Json]:
    """Every panel, walking rows' nested panels (written here rather than imported, so a bug in
    the generator's own walk cannot hide a panel from these tests)."""
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop()
        yield panel
        stack.extend(panel.get("panels", []))


def walk(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every key in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield where, key, value
            yield from walk(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from walk(item, f"{where}[{i}]")


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def grafana_import(dashboard: Json, values: dict[str, str]) -> Json:
    """What Grafana stores when the import dialog is given `values` for the inputs."""
    variables = {}
    for spec in dashboard["__inputs"]:
        assert spec["name"] in values, f"the import dialog would ask for {spec['name']}"
        variables["${" + spec["name"] + "}"] = values[spec["name"]]

    def evaluate(node: Any) -> Any:
        if isinstance(node, str):
            return _VARIABLE.sub(lambda m: variables.get(m[0], m[0]), node)
        if isinstance(node, dict):
            return {k: evaluate(v) for k, v in node.items() if k != "__inputs"}
        if isinstance(node, list):
            return [evaluate(item) for item in node]
        return node

    result: Json = evaluate(dashboard)
    return result


def test_one_export_form_per_dashboard_and_nothing_else() -> None:
    dashboards = {name for name in PROVISIONING}
    assert set(EXPORTED) == dashboards == set(render.dashboards())
    assert len(dashboards) == 2


def test_committed_export_form_is_what_the_code_renders() -> None:
    assert {n: json.loads(t) for n, t in render.render_exports().items()} == EXPORTED


def test_provisioning_form_keeps_its_datasource_variable() -> None:
    for name, dashboard in PROVISIONING.items():
        assert dashboard["__inputs"] == [], name
        assert "__requires" not in dashboard, name
        kinds = {v["name"]: v["type"] for v in dashboard["templating"]["list"]}
        assert kinds["datasource"] == "datasource", name


@pytest.mark.parametrize("name", sorted(EXPORTED))
class TestExportForm:
    def test_same_uid_title_and_panels_as_the_provisioning_form(self, name: str) -> None:
        exported, provisioned = EXPORTED[name], PROVISIONING[name]
        assert exported["uid"] == provisioned["uid"]
        assert exported["title"] == provisioned["title"]
        assert exported["id"] is None
        titles = sorted((p["type"], p["title"]) for p in all_panels(exported))
        assert titles == sorted((p["type"], p["title"]) for p in all_panels(provisioned))

    def test_declares_the_prometheus_input(self, name: str) -> None:
        assert EXPORTED[name]["__inputs"] == [
            {
                "name": "DS_PROMETHEUS",
                "label": "Prometheus",
                "description": "The Prometheus that scrapes atlassian-license-exporter",
                "type": "datasource",
                "pluginId": "prometheus",
                "pluginName": "Prometheus",
            }
        ]
        assert EXPORTED[name]["__elements"] == {}

    def test_requires_grafana_prometheus_and_exactly_the_panel_types_used(self, name: str) -> None:
        exported = EXPORTED[name]
        requires = exported["__requires"]
        assert requires == sorted(requires, key=lambda r: r["id"])
        by_type: dict[str, set[str]] = {}
        for entry in requires:
            assert set(entry) == {"type", "id", "name", "version"}, entry
            by_type.setdefault(entry["type"], set()).add(entry["id"])
        used = {p["type"] for p in all_panels(exported)} - {"row"}
        assert by_type == {"grafana": {"grafana"}, "datasource": {"prometheus"}, "panel": used}
        names = {e["id"]: e["name"] for e in requires}
        assert names["prometheus"] == "Prometheus" and names["grafana"] == "Grafana"
        assert all(names[kind] for kind in used)

    def test_minimum_grafana_covers_the_schema_and_every_panel_plugin_version(
        self, name: str
    ) -> None:
        exported = EXPORTED[name]
        (grafana,) = [e for e in exported["__requires"] if e["type"] == "grafana"]
        minimum = Version(grafana["version"])
        assert minimum >= SCHEMA_SINCE[exported["schemaVersion"]]
        plugin_versions = {p["pluginVersion"] for p in all_panels(exported) if "pluginVersion" in p}
        assert plugin_versions == {PLUGIN_VERSION}
        assert minimum >= max(Version(v) for v in plugin_versions)
        # The lowest version both constraints allow, not an arbitrary newer one.
        assert minimum == max(SCHEMA_SINCE[exported["schemaVersion"]], Version(PLUGIN_VERSION))

    def test_every_panel_target_and_query_variable_uses_the_input(self, name: str) -> None:
        exported = EXPORTED[name]
        for panel in all_panels(exported):
            assert panel["datasource"] == BOUND, panel["title"]
            for target in panel.get("targets", []):
                assert target["datasource"] == BOUND, (panel["title"], target["refId"])
        for variable in exported["templating"]["list"]:
            assert variable["type"] != "datasource", variable["name"]
            if variable["type"] == "query":
                assert variable["datasource"] == BOUND, variable["name"]
            else:
                assert variable["datasource"] is None, variable["name"]
        for annotation in exported["annotations"]["list"]:
            assert annotation["datasource"] == BOUND, annotation

    def test_no_datasource_anywhere_but_the_input(self, name: str) -> None:
        for where, key, value in walk(EXPORTED[name]):
            if key == "datasource" and value is not None:
                assert value == BOUND, where
        for text in strings(EXPORTED[name]):
            assert "$datasource" not in text and "${datasource" not in text, text

    def test_import_binds_everything_to_the_chosen_data_source(self, name: str) -> None:
        imported = grafana_import(EXPORTED[name], {"DS_PROMETHEUS": "prom-uid"})
        assert not any(INPUT_REF in text for text in strings(imported))
        chosen = {"type": "prometheus", "uid": "prom-uid"}
        datasources = [v for _, k, v in walk(imported) if k == "datasource" and v is not None]
        assert datasources and all(v == chosen for v in datasources)

    def test_imported_panels_are_the_provisioned_panels_on_that_data_source(
        self, name: str
    ) -> None:
        imported = grafana_import(EXPORTED[name], {"DS_PROMETHEUS": "prom-uid"})
        # The provisioning form as Grafana shows it with `$datasource` set to the same source:
        # the only difference left is the variable's hand-over in drill-down links.
        provisioned = json.loads(
            json.dumps(PROVISIONING[name])
            .replace("var-datasource=${datasource}&", "")
            .replace("${datasource}", "prom-uid")
        )
        assert imported["panels"] == provisioned["panels"]
        variables = [v for v in provisioned["templating"]["list"] if v["type"] != "datasource"]
        assert imported["templating"]["list"] == variables
        for key in ("links", "time", "refresh", "tags", "schemaVersion", "description"):
            assert imported[key] == provisioned[key], key


def test_export_form_is_outside_the_provisioned_directory() -> None:
    # Grafana's file provider walks its path recursively (filepath.Walk in
    # pkg/services/provisioning/dashboards/file_reader.go): an export file below
    # dashboards/generated/ would be provisioned too, a second dashboard with the same uid.
    assert not render.EXPORT_DIR.resolve().is_relative_to(render.GENERATED_DIR.resolve())
    for path in render.GENERATED_DIR.rglob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["__inputs"] == [], path


def test_an_unlisted_panel_type_fails_the_export() -> None:
    dashboard = copy.deepcopy(PROVISIONING["license-overview.json"])
    dashboard["panels"][0]["panels"] = [{"type": "piechart", "title": "New", "panels": []}]
    with pytest.raises(export.ExportError, match="panel type 'piechart' has no entry"):
        export.exportable(dashboard)


def test_a_leftover_datasource_variable_fails_the_export_naming_where() -> None:
    dashboard = copy.deepcopy(PROVISIONING["license-overview.json"])
    dashboard["description"] = "uses $datasource"
    with pytest.raises(export.ExportError, match=r"atlassian-license-overview\.description"):
        export.exportable(dashboard)


def test_exportable_leaves_the_provisioning_data_unchanged() -> None:
    dashboard = copy.deepcopy(PROVISIONING["application-licenses.json"])
    export.exportable(dashboard)
    assert dashboard == PROVISIONING["application-licenses.json"]


def test_check_names_a_stale_export_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated, exports = tmp_path / "generated", tmp_path / "export"
    render.write_all(generated)
    render.write_all(exports, render.render_exports())
    args = ["--check", "--dir", str(generated), "--export-dir", str(exports)]
    assert main(args) == 0
    stale = exports / "application-licenses.json"
    stale.write_text(stale.read_text().replace(INPUT_REF, "${datasource}"))
    assert main(args) == 1
    err = capsys.readouterr().err
    assert str(stale) in err
    assert "license-overview.json" not in err
