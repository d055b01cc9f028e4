"""Application licenses: one application, its products, forecast, expiry and sync health."""

from __future__ import annotations

from typing import Final

from grafanalib import core as g

from exporter import metrics as m

from . import config, crowd, reclaim
from . import panels as p
from .promql import (
    EXPIRY,
    LIMIT,
    MAINTENANCE_EXPIRY,
    REMAINING,
    USED,
    UTILISATION,
    as_millis,
    days_until,
    dedup,
    raw,
    recorded,
    seats_run_out_seconds,
    unlimited_as_nan,
)

TITLE: Final = "Atlassian application licenses"
FILE: Final = "application-licenses.json"
APP: Final = "$application"
SEL: Final = {"application": APP, "product": "~$product"}
WINDOW: Final = "$forecast_window"
DAY: Final = config.SECONDS_PER_DAY


def variables() -> list[g.Template]:
    windows = [config.days(d) for d in config.FORECAST_WINDOWS_DAYS]
    product = g.Template(
        name="product",
        label="Product",
        query=f"label_values({raw(m.SEATS_USED, application=APP)}, product)",
        dataSource=p.DATASOURCE,
        multi=True,
        includeAll=True,
    )
    # grafanalib writes a multi-value default as a plain string; Grafana stores lists.
    product._current = {"selected": True, "text": ["All"], "value": ["$__all"]}
    return [
        g.Template(
            name="application",
            label="Application",
            query=f"label_values({raw(m.SYNC_UP)}, application)",
            dataSource=p.DATASOURCE,
        ),
        product,
        # Custom variable: the regression window of the seat forecast.
        g.Template(
            name="forecast_window",
            label="Forecast window",
            query=",".join(windows),
            default=config.days(config.FORECAST_RANGE_DAYS),
            type="custom",
        ),
    ]


def seats_panels() -> list[object]:
    used, limit = recorded(USED, **SEL), recorded(LIMIT, **SEL)
    approximate = dedup("max", raw(m.SEATS_USED_APPROXIMATE, **SEL))
    return [
        p.timeseries(
            "Seats used vs limit",
            [
                p.target(used, "{{product}} used", "A"),
                p.target(limit, "{{product}} limit", "B"),
                p.target(approximate, "{{product}} approximate", "C"),
            ],
            p.pos(0, 1, 12, 8),
            unit="short",
            description="Jira Cloud also reports an approximate count, which Atlassian caches "
            "for up to 7 days.",
            overrides=[p.DASHED_LIMIT],
        ),
        g.GaugePanel(
            title="Seat utilisation",
            dataSource=p.DATASOURCE,
            targets=[
                p.target(
                    f"{recorded(UTILISATION, **SEL)}\nor\n{unlimited_as_nan(**SEL)}",
                    "{{product}}",
                    instant=True,
                )
            ],
            gridPos=p.pos(12, 1, 6, 8),
            thresholds=p.UTILISATION_STEPS,
            format="percentunit",
            max=1,
            extraJson=p.gauge_options(
                bar=False, unit="percentunit", thresholds=p.UTILISATION_STEPS
            ),
        ),
        p.stat(
            "Remaining seats",
            [
                p.target(
                    f"{recorded(REMAINING, **SEL)}\nor\n{unlimited_as_nan(**SEL)}",
                    "{{product}}",
                    instant=True,
                )
            ],
            p.pos(18, 1, 6, 8),
            unit="short",
            thresholds=p.REMAINING_STEPS,
            mappings=[p.UNLIMITED_MAPPING],
            decimals=0,
        ),
    ]


def forecast_panels() -> list[object]:
    used = recorded(USED, **SEL)
    horizon = f"{config.FORECAST_HORIZON_DAYS} * {DAY}"
    run_out = seats_run_out_seconds(WINDOW, **SEL)
    note = "Linear fit over $forecast_window, the same fit the SeatsFillingUp alert uses."
    return [
        p.timeseries(
            f"Seats forecast {config.FORECAST_HORIZON_DAYS} days ahead",
            [
                p.target(used, "{{product}} used", "A"),
                p.target(recorded(LIMIT, **SEL), "{{product}} limit", "B"),
                p.target(
                    f"predict_linear({used}[{WINDOW}], {horizon})",
                    f"{{{{product}}}} in {config.FORECAST_HORIZON_DAYS} days",
                    "C",
                ),
            ],
            p.pos(0, 10, 12, 8),
            unit="short",
            description=note,
            overrides=[p.DASHED_LIMIT],
        ),
        p.stat(
            "Seats run out on",
            [p.target(as_millis(f"time() + {run_out}"), "{{product}}", instant=True)],
            p.pos(12, 10, 6, 8),
            unit="dateTimeAsIso",
            thresholds=p.NEUTRAL_STEPS,
            no_value="not forecast (no growth or unlimited)",
            description=note,
        ),
        p.stat(
            "Days until seats run out",
            [p.target(f"{run_out} / {DAY}", "{{product}}", instant=True)],
            p.pos(18, 10, 6, 8),
            unit="none",
            thresholds=p.FORECAST_DAYS_STEPS,
            no_value="not forecast",
            decimals=0,
            description=note,
        ),
    ]


def expiry_panels() -> list[object]:
    panels: list[object] = []
    specs = (
        ("License", EXPIRY, p.LICENSE_DAYS_STEPS),
        ("Maintenance", MAINTENANCE_EXPIRY, p.MAINTENANCE_DAYS_STEPS),
    )
    for i, (what, name, days_steps) in enumerate(specs):
        series = recorded(name, **SEL)
        panels += [
            p.stat(
                f"{what} expires",
                [p.target(as_millis(series), "{{product}}", instant=True)],
                p.pos(12 * i, 19, 6, 5),
                unit="dateTimeAsIso",
                thresholds=p.NEUTRAL_STEPS,
                no_value="no expiry reported",
            ),
            p.stat(
                f"Days to {what.lower()} expiry",
                [p.target(days_until(series), "{{product}}", instant=True)],
                p.pos(12 * i + 6, 19, 6, 5),
                unit="none",
                thresholds=days_steps,
                no_value="no expiry reported",
                decimals=0,
            ),
        ]
    return panels


def info_table() -> g.Table:
    info = dedup("max", raw(m.INFO, **SEL))
    return p.table(
        "License information",
        [p.target(info, ref="A", table=True)],
        p.pos(0, 25, 18, 5),
        description="Labels of atlassian_license_info; 'unknown' where the product does not "
        "report a value.",
        rename={
            "product": "Product",
            m.LICENSE_TYPE: "License type",
            m.EVALUATION: "Evaluation",
            m.DATA_CENTER: "Data Center",
            m.PLAN: "Plan",
        },
        hide=("Time", "Value", "job", "application"),
        overrides=[],
    )


def sync_panels() -> list[object]:
    app = {"application": APP}
    return [
        p.stat(
            "Sync status",
            [p.target(raw(m.SYNC_UP, **app), "{{instance}}", instant=True)],
            p.pos(0, 31, 6, 6),
            unit="none",
            thresholds=p.SYNC_UP_STEPS,
            mappings=[p.SYNC_MAPPING],
            description="Per exporter replica.",
        ),
        p.stat(
            "Last successful sync",
            [p.target(f"time() - {raw(m.SYNC_LAST_SUCCESS, **app)}", "{{instance}}", instant=True)],
            p.pos(6, 31, 6, 6),
            unit="s",
            thresholds=p.NEUTRAL_STEPS,
            no_value="never",
            description="Age of the last successful sync, per exporter replica.",
        ),
        p.timeseries(
            "Sync failures by reason",
            [
                p.target(
                    f"increase({raw(m.SYNC_FAILURES, **app)}[$__rate_interval])",
                    "{{instance}} {{reason}}",
                )
            ],
            p.pos(12, 31, 12, 6),
            unit="short",
            draw="bars",
            description="401: credentials or CAPTCHA lockout; 403: admin permission; "
            "429: rate limited. See the runbook.",
        ),
        p.timeseries(
            "Sync duration",
            [p.target(raw(m.SYNC_DURATION, **app), "{{instance}}")],
            p.pos(0, 37, 12, 7),
            unit="s",
        ),
        p.timeseries(
            "Last sync age in sync intervals",
            [
                p.target(
                    f"(time() - {raw(m.SYNC_LAST_SUCCESS, **app)})\n/\n"
                    f"{raw(m.SYNC_INTERVAL, **app)}",
                    "{{instance}}",
                )
            ],
            p.pos(12, 37, 12, 7),
            unit="none",
            thresholds=p.STALE_STEPS,
        ),
    ]


def build() -> g.Dashboard:
    return p.dashboard(
        TITLE,
        config.APPLICATION_UID,
        "Seats, forecast, expiry, license details and sync health of one Atlassian application.",
        [
            p.row("Seats", 0),
            *seats_panels(),
            p.row("Forecast", 9),
            *forecast_panels(),
            p.row("Expiry", 18),
            *expiry_panels(),
            p.row("License", 24),
            info_table(),
            reclaim.data_age(SEL),
            p.row("Sync health", 30),
            *sync_panels(),
            p.row("Reclaimable seats", 44),
            *reclaim.application_panels(APP, SEL),
            *crowd.application_panels(63, APP, SEL),
        ],
        variables(),
    )
