"""The renewal planner's panels: the overview's row and table, the application's group panel."""

from __future__ import annotations

from dashboards import planner, rules
from dashboards.application import FILE as APPLICATION_FILE
from dashboards.overview import FILE as OVERVIEW_FILE
from dashboards.promql import DATA_CENTER_INFO
from exporter.apptypes import DATA_CENTER_TYPES, TYPES
from tests.dashboards.rendered import panel, panels


def test_overview_has_a_renewal_planner_row_with_every_column() -> None:
    named = [p for p in panels(OVERVIEW_FILE) if p["title"] == "Renewal planner"]
    (row,) = [p for p in named if p["type"] == "row"]
    (table,) = [p for p in named if p["type"] == "table"]
    assert table["gridPos"]["y"] == row["gridPos"]["y"] + 1 and table["gridPos"]["w"] == 24
    (organize,) = [t for t in table["transformations"] if t["id"] == "organize"]
    rename = organize["options"]["renameByName"]
    assert {k: v for k, v in rename.items() if k.startswith("Value #")} == planner.COLUMNS
    exprs = {t["refId"]: t["expr"] for t in table["targets"]}
    # The Data Center dates only for Data Center applications; run-out as a date in ms.
    assert DATA_CENTER_INFO in exprs["E"] and DATA_CENTER_INFO in exprs["F"]
    assert DATA_CENTER_INFO not in exprs["D"]
    assert exprs["G"].endswith("* 1000")
    assert 'inactive_for="90d"' in exprs["H"]
    assert all("without(currency)" in exprs[ref] for ref in "IJ")


def test_application_dashboard_has_seats_by_group() -> None:
    group = panel(APPLICATION_FILE, "Seats by group")
    assert group["type"] == "timeseries"
    (target,) = group["targets"]
    assert "atlassian_license_group_members" in target["expr"]
    assert target["legendFormat"] == "{{product}} / {{group}}"


def test_the_expansion_deadline_is_for_the_registrys_data_center_types_only() -> None:
    assert "jira-cloud" not in DATA_CENTER_TYPES
    assert set(DATA_CENTER_TYPES) == {name for name, e in TYPES.items() if not e.cloud}
    (deadline,) = [a for a in rules.ALERTS if a.name == "AtlassianLicenseExpansionDeadline"]
    assert DATA_CENTER_INFO in deadline.expr
    assert (
        'application:atlassian_license_application_info:max{type=~"'
        + "|".join(DATA_CENTER_TYPES)
        + '"}'
    ) == DATA_CENTER_INFO
