"""Small grafanalib helpers shared by both dashboards.

They pin the conventions in one place: every panel and target points at the `$datasource`
variable, thresholds are explicit JSON steps, and units and NaN mappings are consistent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from grafanalib import core as g

from . import config

JsonDict = dict[str, Any]

DATASOURCE: Final[JsonDict] = {"type": "prometheus", "uid": "${datasource}"}
# How a link hands the chosen data source to the dashboard it opens (dashboards/export.py drops
# it: an imported dashboard is bound to one data source and has no such variable).
DATASOURCE_URL_PARAM: Final = "var-datasource=${datasource}&"
GREEN: Final = "green"
ORANGE: Final = "orange"
RED: Final = "red"
# Grafana 10+ bar gauge and gauge option schemas; grafanalib 0.7.1 emits the Grafana 6 layout.
PLUGIN_VERSION: Final = "10.4.0"


def steps(base: str, *levels: tuple[float, str]) -> list[JsonDict]:
    """Threshold steps: `base` below the first level, then each colour from its value up.

    Written as plain JSON rather than grafanalib's Threshold, which emits the string "null"
    for the base step; values go through float() so config ints cannot slip in as ints.
    """
    out: list[JsonDict] = [{"color": base, "value": None}]
    out.extend({"color": colour, "value": float(value)} for value, colour in levels)
    return out


UTILISATION_STEPS: Final = steps(
    GREEN,
    (config.SEATS_UTILISATION_WARNING, ORANGE),
    (config.SEATS_UTILISATION_CRITICAL, RED),
)
LICENSE_DAYS_STEPS: Final = steps(
    RED,
    (config.LICENSE_EXPIRY_CRITICAL_DAYS, ORANGE),
    (config.LICENSE_EXPIRY_WARNING_DAYS, GREEN),
)
MAINTENANCE_DAYS_STEPS: Final = steps(ORANGE, (config.MAINTENANCE_EXPIRY_WARNING_DAYS, GREEN))
# The critical alert fires at remaining <= SEATS_REMAINING_CRITICAL; seats are whole numbers.
REMAINING_STEPS: Final = steps(RED, (config.SEATS_REMAINING_CRITICAL + 1, GREEN))
FORECAST_DAYS_STEPS: Final = steps(ORANGE, (config.FORECAST_HORIZON_DAYS, GREEN))
SYNC_UP_STEPS: Final = steps(RED, (1, GREEN))
NEUTRAL_STEPS: Final = steps(GREEN)
STALE_STEPS: Final = steps(GREEN, (config.STALE_FACTOR, RED))
RECLAIM_STEPS: Final = steps(GREEN, (config.RECLAIM_SHARE, ORANGE))
NEVER_MAPPING: Final[JsonDict] = {
    "type": "value",
    "options": {"0": {"text": "never", "color": ORANGE, "index": 0}},
}

UNLIMITED_MAPPING: Final[JsonDict] = {
    "type": "special",
    "options": {"match": "nan", "result": {"text": "unlimited", "color": "blue", "index": 0}},
}
SYNC_MAPPING: Final[JsonDict] = {
    "type": "value",
    "options": {
        "0": {"text": "failing", "color": RED, "index": 0},
        "1": {"text": "ok", "color": GREEN, "index": 1},
    },
}


def target(
    expr: str, legend: str = "", ref: str = "A", *, instant: bool = False, table: bool = False
) -> g.Target:
    """A Prometheus query; `table` queries are instant and feed table panels."""
    return g.Target(
        expr=expr,
        legendFormat=legend,
        refId=ref,
        instant=instant or table,
        format=g.TABLE_TARGET_FORMAT if table else g.TIME_SERIES_TARGET_FORMAT,
        # grafanalib's default of 2 halves the resolution of every query.
        intervalFactor=1,
        datasource=DATASOURCE,
    )


def pos(x: int, y: int, w: int, h: int) -> g.GridPos:
    return g.GridPos(h=h, w=w, x=x, y=y)


def row(title: str, y: int) -> g.RowPanel:
    return g.RowPanel(title=title, gridPos=pos(0, y, 24, 1), dataSource=DATASOURCE)


def timeseries(
    title: str,
    targets: list[g.Target],
    grid: g.GridPos,
    *,
    unit: str,
    description: str = "",
    thresholds: list[JsonDict] | None = None,
    overrides: list[JsonDict] | None = None,
    draw: str = "line",
) -> g.TimeSeries:
    return g.TimeSeries(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=targets,
        gridPos=grid,
        unit=unit,
        drawStyle=draw,
        thresholds=thresholds if thresholds is not None else NEUTRAL_STEPS,
        thresholdsStyleMode="off" if thresholds is None else "dashed",
        overrides=overrides or [],
        legendDisplayMode="table",
        legendPlacement="right",
        legendCalcs=["lastNotNull", "max"],
        tooltipMode="multi",
        maxDataPoints=None,
    )


def stat(
    title: str,
    targets: list[g.Target],
    grid: g.GridPos,
    *,
    unit: str,
    thresholds: list[JsonDict],
    description: str = "",
    mappings: list[JsonDict] | None = None,
    no_value: str = "no data",
    decimals: int | None = None,
    text_mode: str = "value_and_name",
) -> g.Stat:
    # Stat.thresholds defaults to "" in grafanalib; callers must always pass steps.
    return g.Stat(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=targets,
        gridPos=grid,
        format=unit,
        thresholds=thresholds,
        mappings=mappings or [],
        noValue=no_value,
        decimals=decimals,
        reduceCalc="lastNotNull",
        graphMode="none",
        textMode=text_mode,
        colorMode="value",
        maxDataPoints=None,
    )


def gauge_options(*, bar: bool, unit: str, thresholds: list[JsonDict]) -> JsonDict:
    """Modern options/fieldConfig for bar gauges and gauges, merged over grafanalib's output."""
    options: JsonDict = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "horizontal" if bar else "auto",
        "showThresholdMarkers": True,
        "showThresholdLabels": False,
    }
    if bar:
        options.update(displayMode="gradient", showUnfilled=True, valueMode="color")
    return {
        "pluginVersion": PLUGIN_VERSION,
        "options": options,
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "min": 0,
                "max": 1,
                "thresholds": {"mode": "absolute", "steps": thresholds},
                "mappings": [UNLIMITED_MAPPING],
                "noValue": "no data",
            }
        },
    }


def override(name: str, *properties: tuple[str, Any], regex: bool = False) -> JsonDict:
    """A field override matched by (display) name or by a regex on it."""
    return {
        "matcher": {"id": "byRegexp" if regex else "byName", "options": name},
        "properties": [{"id": key, "value": value} for key, value in properties],
    }


def threshold_props(thresholds: list[JsonDict], cell: str = "color-text") -> list[tuple[str, Any]]:
    return [
        ("thresholds", {"mode": "absolute", "steps": thresholds}),
        ("custom.cellOptions", {"type": cell}),
    ]


# Limit lines drawn dashed, so "used" and "limit" of one product share a colour but not a style.
DASHED_LIMIT: Final = override(
    ".* limit$", ("custom.lineStyle", {"fill": "dash", "dash": [10, 10]}), regex=True
)


def table(
    title: str,
    targets: list[g.Target],
    grid: g.GridPos,
    *,
    description: str,
    rename: dict[str, str],
    hide: tuple[str, ...],
    overrides: list[JsonDict],
) -> g.Table:
    """Instant queries merged into one row per label set, columns renamed and ordered."""
    order = {name: i for i, name in enumerate(rename.values())}
    return g.Table(
        title=title,
        description=description,
        dataSource=DATASOURCE,
        targets=targets,
        gridPos=grid,
        thresholds=NEUTRAL_STEPS,
        overrides=overrides,
        filterable=True,
        transformations=[
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {
                    "excludeByName": dict.fromkeys(hide, True),
                    "indexByName": order,
                    "renameByName": rename,
                },
            },
        ],
        maxDataPoints=None,
    )


def iter_panels(dashboard: JsonDict) -> Iterator[JsonDict]:
    """All panels of a dashboard's JSON, including those nested in (collapsed) rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def datasource_variable() -> g.Template:
    return g.Template(name="datasource", label="Data source", query="prometheus", type="datasource")


def dashboard(
    title: str,
    uid: str,
    description: str,
    panels: list[Any],
    variables: list[g.Template],
) -> g.Dashboard:
    return g.Dashboard(
        title=title,
        uid=uid,
        description=description,
        tags=list(config.DASHBOARD_TAGS),
        panels=panels,
        templating=g.Templating(list=[datasource_variable(), *variables]),
        # License data changes at the sync interval (minutes); a week shows trends.
        time=g.Time("now-7d", "now"),
        refresh="5m",
        timezone="browser",
        schemaVersion=config.SCHEMA_VERSION,
        graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
        links=[
            {
                "type": "dashboards",
                "title": "License dashboards",
                "tags": list(config.DASHBOARD_TAGS),
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
            }
        ],
    ).auto_panel_ids()
