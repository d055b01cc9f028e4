"""Dashboard JSON conventions: datasource variable, panel types, schema, units, thresholds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dashboards import config
from dashboards.overview import FILE as OVERVIEW_FILE
from dashboards.panels import DATASOURCE
from tests.dashboards.rendered import DASHBOARDS, PANEL_TYPES, Json, panel, panels


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def step_values(steps: list[Json]) -> list[float | None]:
    return [s["value"] for s in steps]


def defaults_steps(p: Json) -> list[float | None]:
    return step_values(p["fieldConfig"]["defaults"]["thresholds"]["steps"])


def override_props(p: Json, field: str) -> dict[str, Any]:
    for o in p["fieldConfig"]["overrides"]:
        if o["matcher"]["options"] == field:
            return {prop["id"]: prop["value"] for prop in o["properties"]}
    raise AssertionError(f"no override for {field}")


UTILISATION = [None, config.SEATS_UTILISATION_WARNING, config.SEATS_UTILISATION_CRITICAL]
LICENSE_DAYS = [None, config.LICENSE_EXPIRY_CRITICAL_DAYS, config.LICENSE_EXPIRY_WARNING_DAYS]
MAINTENANCE_DAYS = [None, config.MAINTENANCE_EXPIRY_WARNING_DAYS]
RECLAIM = [None, config.RECLAIM_SHARE]


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
class TestEveryDashboard:
    def test_every_panel_and_target_uses_the_datasource_variable(self, name: str) -> None:
        for p in panels(name):
            assert p["datasource"] == DATASOURCE, p["title"]
            for t in p.get("targets", []):
                assert t["datasource"] == DATASOURCE, (p["title"], t["refId"])

    def test_no_hard_coded_datasource_anywhere(self, name: str) -> None:
        for key, value in walk(DASHBOARDS[name]):
            if key == "datasource" and value is not None:
                assert value == DATASOURCE
        assert DASHBOARDS[name]["__inputs"] == []

    def test_datasource_variable(self, name: str) -> None:
        variables = {v["name"]: v for v in DASHBOARDS[name]["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"

    def test_panel_types_and_layout(self, name: str) -> None:
        assert DASHBOARDS[name]["rows"] == []
        cells: set[tuple[int, int]] = set()
        for p in panels(name):
            assert p["type"] in PANEL_TYPES, p["type"]
            pos = p["gridPos"]
            assert pos["x"] + pos["w"] <= 24, p["title"]
            area = {
                (x, y)
                for x in range(pos["x"], pos["x"] + pos["w"])
                for y in range(pos["y"], pos["y"] + pos["h"])
            }
            assert not area & cells, f"{p['title']} overlaps another panel"
            cells |= area
        assert not any(p["type"] == "graph" for p in panels(name))
        assert any(p["type"] == "timeseries" for p in panels(name))

    def test_schema_uid_tags(self, name: str) -> None:
        d = DASHBOARDS[name]
        assert d["schemaVersion"] == config.SCHEMA_VERSION >= 36
        assert d["uid"] in {config.OVERVIEW_UID, config.APPLICATION_UID}
        assert d["tags"] == list(config.DASHBOARD_TAGS)
        ids = [p["id"] for p in panels(name)]
        assert len(ids) == len(set(ids)) and None not in ids

    def test_units_are_set(self, name: str) -> None:
        allowed = {"short", "percentunit", "dateTimeAsIso", "s", "none"}
        for p in panels(name):
            if p["type"] in {"row", "table"}:
                continue
            assert p["fieldConfig"]["defaults"]["unit"] in allowed, p["title"]

    def test_dates_are_milliseconds(self, name: str) -> None:
        for p in panels(name):
            if p["type"] != "row" and p["fieldConfig"]["defaults"].get("unit") == "dateTimeAsIso":
                assert all(t["expr"].endswith("* 1000") for t in p["targets"]), p["title"]

    def test_nan_means_unlimited_wherever_it_is_produced(self, name: str) -> None:
        for p in panels(name):
            if any("* NaN" in t["expr"] for t in p.get("targets", [])):
                text = json.dumps(p["fieldConfig"])
                assert '"match": "nan"' in text and '"text": "unlimited"' in text, p["title"]

    def test_thresholds_come_from_config(self, name: str) -> None:
        for p in panels(name):
            if p["type"] == "row":
                continue
            if p["fieldConfig"]["defaults"].get("unit") == "percentunit":
                # Two kinds of ratio: seat utilisation, and the share held by inactive users.
                expected = (
                    RECLAIM if p["title"].startswith("Share of seats inactive") else UTILISATION
                )
                assert defaults_steps(p) == expected, p["title"]
            steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert steps[0]["value"] is None, p["title"]
            values = [s["value"] for s in steps[1:]]
            assert values == sorted(values) and all(isinstance(v, float) for v in values)


def test_overview_table_columns_and_thresholds() -> None:
    table = panel(OVERVIEW_FILE, "Licenses")
    assert step_values(override_props(table, "Utilisation")["thresholds"]["steps"]) == UTILISATION
    days = override_props(table, "Days to license expiry")["thresholds"]["steps"]
    assert step_values(days) == LICENSE_DAYS
    maintenance = override_props(table, "Days to maintenance expiry")["thresholds"]["steps"]
    assert step_values(maintenance) == MAINTENANCE_DAYS
    assert override_props(table, "Utilisation")["unit"] == "percentunit"
    assert override_props(table, "Last sync age")["unit"] == "s"
    renames = table["transformations"][1]["options"]["renameByName"]
    for column in ("Seats used", "Limit", "Utilisation", "Remaining", "Sync", "Last sync age"):
        assert column in renames.values()


def test_overview_links_rows_to_the_application_dashboard() -> None:
    links = override_props(panel(OVERVIEW_FILE, "Licenses"), "application")["links"]
    url = links[0]["url"]
    assert url.startswith(f"/d/{config.APPLICATION_UID}")
    assert "var-application=${__data.fields.application}" in url
    assert "var-datasource=${datasource}" in url
    bars = panel(OVERVIEW_FILE, "Seat utilisation")["fieldConfig"]["defaults"]["links"]
    assert "var-application=${__field.labels.application}" in bars[0]["url"]


def test_application_variables() -> None:
    d = DASHBOARDS["application-licenses.json"]
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert list(variables) == ["datasource", "application", "product", "forecast_window"]
    assert variables["product"]["multi"] and variables["product"]["includeAll"]
    windows = [o["value"] for o in variables["forecast_window"]["options"]]
    assert windows == [config.days(n) for n in config.FORECAST_WINDOWS_DAYS]
    assert variables["forecast_window"]["current"]["value"] == config.days(
        config.FORECAST_RANGE_DAYS
    )


def test_application_expiry_and_forecast_panels() -> None:
    name = "application-licenses.json"
    assert defaults_steps(panel(name, "Days to license expiry")) == LICENSE_DAYS
    assert defaults_steps(panel(name, "Days to maintenance expiry")) == MAINTENANCE_DAYS
    forecast = panel(name, "Days until seats run out")
    assert defaults_steps(forecast) == [None, config.FORECAST_HORIZON_DAYS]
    assert "$forecast_window" in forecast["targets"][0]["expr"]
    assert "predict_linear" in panel(name, "Seats run out on")["targets"][0]["expr"]
    for title in ("License expires", "Maintenance expires", "Seats run out on"):
        assert panel(name, title)["fieldConfig"]["defaults"]["unit"] == "dateTimeAsIso"
    assert panel(name, "Seat utilisation")["type"] == "gauge"
    assert panel(name, "License information")["type"] == "table"


def test_reclaimable_seat_panels_on_both_dashboards() -> None:
    period = f'inactive_for="{config.RECLAIM_INACTIVE_FOR}"'
    table = panel(OVERVIEW_FILE, "Reclaimable seats by product")
    share = f"Share of seats inactive {config.RECLAIM_INACTIVE_FOR}+"
    assert step_values(override_props(table, share)["thresholds"]["steps"]) == RECLAIM
    assert override_props(table, share)["unit"] == "percentunit"
    assert all(period in t["expr"] for t in table["targets"] if "inactive" in t["expr"])
    name = "application-licenses.json"
    assert defaults_steps(panel(name, share)) == RECLAIM
    assert period in panel(name, share)["targets"][0]["expr"]
    who = panel(name, "Who could be reclaimed")
    assert who["targets"][0]["expr"].endswith("* 1000")
    last_active = override_props(who, "Last active")
    assert last_active["unit"] == "dateTimeAsIso"
    assert last_active["mappings"][0]["options"]["0"]["text"] == "never"
    info = panel(name, "License information")
    assert info["transformations"][1]["options"]["renameByName"]["plan"] == "Plan"
