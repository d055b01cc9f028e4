"""License overview: every application and product on one page."""

from __future__ import annotations

from typing import Final

from grafanalib import core as g

from exporter import metrics as m

from . import config, crowd, reclaim
from . import panels as p
from .promql import (
    EXPIRY,
    LAST_SUCCESS,
    LIMIT,
    MAINTENANCE_EXPIRY,
    REMAINING,
    SYNC_INTERVAL,
    SYNC_UP,
    USED,
    UTILISATION,
    days_until,
    dedup,
    per_product,
    raw,
    unlimited_as_nan,
)

TITLE: Final = "Atlassian license overview"
FILE: Final = "license-overview.json"
# Carries the data source and time range so the drill-down shows the same data.
APP_LINK: Final = (
    f"/d/{config.APPLICATION_UID}?{p.DATASOURCE_URL_PARAM}"
    "var-application=APPLICATION&${__url_time_range}"
)
ROW_LINK: Final = APP_LINK.replace("APPLICATION", "${__data.fields.application}")
FIELD_LINK: Final = APP_LINK.replace("APPLICATION", "${__field.labels.application}")
LINK_TITLE: Final = "Open application licenses"

COLUMNS: Final = {
    "Value #A": "Seats used",
    "Value #B": "Limit",
    "Value #C": "Utilisation",
    "Value #D": "Remaining",
    "Value #E": "Days to license expiry",
    "Value #F": "Days to maintenance expiry",
    "Value #G": "Sync",
    "Value #H": "Last sync age",
}


def license_table() -> g.Table:
    targets = [
        p.target(USED, ref="A", table=True),
        p.target(f"{LIMIT}\nor\n{unlimited_as_nan()}", ref="B", table=True),
        p.target(f"{UTILISATION}\nor\n{unlimited_as_nan()}", ref="C", table=True),
        p.target(f"{REMAINING}\nor\n{unlimited_as_nan()}", ref="D", table=True),
        p.target(days_until(EXPIRY), ref="E", table=True),
        p.target(days_until(MAINTENANCE_EXPIRY), ref="F", table=True),
        p.target(per_product(SYNC_UP), ref="G", table=True),
        p.target(per_product(f"time() - {LAST_SUCCESS}"), ref="H", table=True),
    ]
    unlimited = ("mappings", [p.UNLIMITED_MAPPING])
    overrides = [
        p.override("application", ("links", [{"title": LINK_TITLE, "url": ROW_LINK}])),
        p.override("Limit", unlimited, ("decimals", 0)),
        p.override(
            "Utilisation",
            ("unit", "percentunit"),
            ("decimals", 1),
            unlimited,
            *p.threshold_props(p.UTILISATION_STEPS, "color-background"),
        ),
        p.override("Remaining", unlimited, *p.threshold_props(p.REMAINING_STEPS)),
        p.override(
            "Days to license expiry",
            ("decimals", 0),
            *p.threshold_props(p.LICENSE_DAYS_STEPS, "color-background"),
        ),
        p.override(
            "Days to maintenance expiry",
            ("decimals", 0),
            *p.threshold_props(p.MAINTENANCE_DAYS_STEPS, "color-background"),
        ),
        p.override("Sync", ("mappings", [p.SYNC_MAPPING]), *p.threshold_props(p.SYNC_UP_STEPS)),
        p.override("Last sync age", ("unit", "s")),
    ]
    return p.table(
        "Licenses",
        targets,
        p.pos(0, 1, 24, 9),
        description="One row per application and product. Unlimited licenses show 'unlimited' "
        "instead of a limit, ratio or remaining count. Click an application for details.",
        rename={"application": "application", "product": "product", **COLUMNS},
        hide=("Time", "job"),
        overrides=overrides,
    )


def utilisation_bars() -> g.BarGauge:
    return g.BarGauge(
        title="Seat utilisation",
        description="Used seats over the license limit, coloured at the alert thresholds.",
        dataSource=p.DATASOURCE,
        targets=[
            p.target(
                f"{UTILISATION}\nor\n{unlimited_as_nan()}",
                "{{application}} / {{product}}",
                instant=True,
            )
        ],
        gridPos=p.pos(0, 10, 10, 8),
        thresholds=p.UTILISATION_STEPS,
        format="percentunit",
        max=1,
        displayMode=g.GAUGE_DISPLAY_MODE_GRADIENT,
        extraJson=_with_links(
            p.gauge_options(bar=True, unit="percentunit", thresholds=p.UTILISATION_STEPS)
        ),
    )


def _with_links(options: p.JsonDict) -> p.JsonDict:
    options["fieldConfig"]["defaults"]["links"] = [{"title": LINK_TITLE, "url": FIELD_LINK}]
    return options


def seats_over_time() -> g.TimeSeries:
    return p.timeseries(
        "Seats used vs limit",
        [
            p.target(USED, "{{application}} / {{product}} used", "A"),
            p.target(LIMIT, "{{application}} / {{product}} limit", "B"),
        ],
        p.pos(10, 10, 14, 8),
        unit="short",
        description="Limits are dashed; unlimited licenses have no limit line.",
        overrides=[p.DASHED_LIMIT],
    )


def sync_failing() -> g.Stat:
    return p.stat(
        "Applications failing to sync",
        [p.target(f"{raw(m.SYNC_UP)} == 0", "{{application}} ({{instance}})", instant=True)],
        p.pos(0, 19, 8, 7),
        unit="none",
        thresholds=p.SYNC_UP_STEPS,
        mappings=[p.SYNC_MAPPING],
        no_value="All applications sync",
        description="Applications whose last sync failed, per exporter replica.",
    )


def sync_failures() -> g.TimeSeries:
    rng = "[$__rate_interval]"
    return p.timeseries(
        "Sync failures by reason",
        [
            p.target(
                dedup("max", f"increase({raw(m.SYNC_FAILURES)}{rng})"),
                "{{application}} {{reason}}",
            )
        ],
        p.pos(8, 19, 8, 7),
        unit="short",
        draw="bars",
        description="Failed syncs per interval; max over exporter replicas.",
    )


def staleness() -> g.TimeSeries:
    return p.timeseries(
        "Last sync age in sync intervals",
        [p.target(f"(time() - {LAST_SUCCESS})\n/\n{SYNC_INTERVAL}", "{{application}}")],
        p.pos(16, 19, 8, 7),
        unit="none",
        thresholds=p.STALE_STEPS,
        description=f"License series are dropped, and the stale alert fires, at "
        f"{config.STALE_FACTOR} intervals.",
    )


def build() -> g.Dashboard:
    return p.dashboard(
        TITLE,
        config.OVERVIEW_UID,
        "Seat usage, expiry and sync health of all Atlassian applications.",
        [
            p.row("Seats and expiry", 0),
            license_table(),
            utilisation_bars(),
            seats_over_time(),
            p.row("Sync health", 18),
            sync_failing(),
            sync_failures(),
            staleness(),
            p.row("Reclaimable seats", 26),
            reclaim.overview_table(ROW_LINK, LINK_TITLE),
            reclaim.overview_total(),
            *crowd.overview_panels(35),
        ],
        [],
    )
