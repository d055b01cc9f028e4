"""The export form of a dashboard: the JSON grafana.com and Grafana's import dialog understand.

The provisioning form (dashboards/generated/) lets the viewer pick a Prometheus through the
`$datasource` variable. A dashboard shared on grafana.com instead declares what it needs:
`__inputs` names a data-source input, DS_PROMETHEUS, the import dialog asks for one and Grafana
replaces every `${DS_PROMETHEUS}` in the JSON with the chosen data source's uid
(pkg/services/dashboardimport/utils/dash_template_evaluator.go); `__requires` lists the Grafana
version, data source and panel plugins it uses, which grafana.com shows as dependencies. The
layout follows Grafana's own exporter
(public/app/features/dashboard/components/DashExportModal/DashboardExporter.ts).

The export form is derived from the provisioning form's JSON, so the two cannot drift: same uid,
title, panels and queries, only the data-source binding differs.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from . import panels

JsonDict = dict[str, Any]

INPUT_NAME: Final = "DS_PROMETHEUS"
INPUT_REF: Final = "${" + INPUT_NAME + "}"
EXPORT_DATASOURCE: Final[JsonDict] = {"type": "prometheus", "uid": INPUT_REF}
DATASOURCE_VARIABLE: Final = "datasource"
INPUT: Final[JsonDict] = {
    "name": INPUT_NAME,
    "label": "Prometheus",
    "description": "The Prometheus that scrapes atlassian-license-exporter",
    "type": "datasource",
    "pluginId": "prometheus",
    "pluginName": "Prometheus",
}
# The oldest Grafana these dashboards are written for. schemaVersion 39 first shipped in
# Grafana 10.3 (the timeSeriesTable migration, grafana/grafana#76801, merged after 10.2), and
# the gauge and bar gauge options follow the 10.4 panel schema (their pluginVersion), so 10.4.
GRAFANA_MIN_VERSION: Final = panels.PLUGIN_VERSION
# Grafana's exporter writes "1.0.0" for the core Prometheus plugin, and "" for core panels.
PROMETHEUS_VERSION: Final = "1.0.0"
# Display names of the core panel plugins the dashboards use (Grafana's plugin.json `name`).
# A panel type missing here fails the export, so a new one cannot go unlisted in __requires.
PANEL_NAMES: Final = {
    "bargauge": "Bar gauge",
    "gauge": "Gauge",
    "stat": "Stat",
    "table": "Table",
    "timeseries": "Time series",
}


class ExportError(ValueError):
    """The provisioning form has something the export form cannot express."""


def panel_types(dashboard: JsonDict) -> set[str]:
    """Panel plugins the dashboard uses; a row is layout, not a plugin (as Grafana exports it)."""
    return {p["type"] for p in panels.iter_panels(dashboard) if p["type"] != "row"}


def requires(dashboard: JsonDict) -> list[JsonDict]:
    """`__requires`: Grafana, the Prometheus data source and each panel plugin, sorted by id."""
    entries = [
        {"type": "grafana", "id": "grafana", "name": "Grafana", "version": GRAFANA_MIN_VERSION},
        {
            "type": "datasource",
            "id": "prometheus",
            "name": "Prometheus",
            "version": PROMETHEUS_VERSION,
        },
    ]
    for kind in panel_types(dashboard):
        if kind not in PANEL_NAMES:
            uid = dashboard["uid"]
            raise ExportError(f"{uid}: panel type {kind!r} has no entry in PANEL_NAMES")
        entries.append({"type": "panel", "id": kind, "name": PANEL_NAMES[kind], "version": ""})
    return sorted(entries, key=lambda e: str(e["id"]))


def _rebind(node: Any, where: str) -> Any:
    """A copy with the `$datasource` reference replaced by the import input, everywhere."""
    if node == panels.DATASOURCE:
        return dict(EXPORT_DATASOURCE)
    if isinstance(node, dict):
        return {key: _rebind(value, f"{where}.{key}") for key, value in node.items()}
    if isinstance(node, list):
        return [_rebind(item, f"{where}[{i}]") for i, item in enumerate(node)]
    if isinstance(node, str):
        text = node.replace(panels.DATASOURCE_URL_PARAM, "")
        if "$datasource" in text or "${datasource" in text:
            # After import there is no such variable: the text would reach Grafana verbatim.
            raise ExportError(f"{where}: refers to ${DATASOURCE_VARIABLE}: {node[:80]}")
        return text
    return node


def exportable(dashboard: JsonDict) -> JsonDict:
    """The export form of a provisioning-form dashboard (its JSON data, left unchanged)."""
    data = copy.deepcopy(dashboard)
    variables = data["templating"]["list"]
    data["templating"]["list"] = [v for v in variables if v["name"] != DATASOURCE_VARIABLE]
    out: JsonDict = _rebind(data, data["uid"])
    out["__inputs"] = [dict(INPUT)]
    out["__elements"] = {}
    out["__requires"] = requires(out)
    out["id"] = None
    return out
