"""Marketplace apps panels (UPM, #17): the application dashboard's table of apps and UPM's
errors, and the overview's counts across all instances."""

from __future__ import annotations

from typing import Final

from grafanalib import core as g

from exporter import metrics as m

from . import config
from . import panels as p
from .promql import (
    APP_ERROR,
    APP_EXPIRY,
    APP_MAINTENANCE_EXPIRY,
    APP_SEATS_LIMIT,
    APP_VALID,
    HOST_SEATS_LIMIT,
    app_expiring,
    app_tier_mismatch,
    as_millis,
    dedup,
    raw,
    recorded,
)

STATE_MAPPING: Final[p.JsonDict] = {
    "type": "value",
    "options": {
        "-1": {"text": "free (no license)", "color": "blue", "index": 0},
        "0": {"text": "invalid", "color": p.RED, "index": 1},
        "1": {"text": "valid", "color": p.GREEN, "index": 2},
    },
}
_COLOURED: Final[p.JsonDict] = {"type": "color-text"}
COLUMNS: Final = {
    "app": "App",
    m.NAME: "Name",
    m.VERSION: "Version",
    m.LICENSE_TYPE: "License type",
    m.ENABLED: "Enabled",
    "Value #B": "Tier",
    "Value #C": "Host tier",
    "Value #D": "Expires",
    "Value #E": "Maintenance",
    "Value #F": "State",
}


def _one_per_app(app: str) -> str:
    """1 per user-installed app of `app`, the info labels dropped: a row to join onto."""
    info = dedup("max", raw(m.APP_INFO, application=app))
    return f"max without({m.NAME}, {m.VERSION}, {m.LICENSE_TYPE}, {m.ENABLED}) ({info})"


def application_panels(app: str, y: int) -> list[object]:
    sel = {"application": app}
    limit, valid = recorded(APP_SEATS_LIMIT, **sel), recorded(APP_VALID, **sel)
    each = _one_per_app(app)
    targets = [
        p.target(dedup("max", raw(m.APP_INFO, **sel)), ref="A", table=True),
        # NaN, shown as "unlimited", for a license without a user limit.
        p.target(f"{limit}\nor\n(0 * {valid} + NaN)", ref="B", table=True),
        p.target(
            f"{recorded(HOST_SEATS_LIMIT, **sel)}\n+ ignoring(app) group_right()\n(0 * {each})",
            ref="C",
            table=True,
        ),
        p.target(as_millis(recorded(APP_EXPIRY, **sel)), ref="D", table=True),
        p.target(as_millis(recorded(APP_MAINTENANCE_EXPIRY, **sel)), ref="E", table=True),
        p.target(f"{valid}\nor\n({each} - 2)", ref="F", table=True),
    ]
    dates = [p.override(col, ("unit", "dateTimeAsIso")) for col in ("Expires", "Maintenance")]
    return [
        p.table(
            "Marketplace apps",
            targets,
            p.pos(0, y, 24, 10),
            description="User-installed apps from UPM (system plugins left out). The tier must "
            "match or exceed the host's (for Jira, the largest Jira product's) or the app "
            "stops working; free apps have no license.",
            rename=COLUMNS,
            hide=("Time", "job", "application", "Value #A"),
            overrides=[
                p.override("Tier", ("mappings", [p.UNLIMITED_MAPPING])),
                *dates,
                p.override(
                    "State", ("mappings", [STATE_MAPPING]), ("custom.cellOptions", _COLOURED)
                ),
            ],
        ),
        p.table(
            "UPM license errors",
            [p.target(recorded(APP_ERROR, **sel), ref="A", table=True)],
            p.pos(0, y + 10, 16, 6),
            description="Errors UPM reports for app licenses, as it names them: USER_MISMATCH "
            "and EDITION_MISMATCH (tier), EXPIRED, TYPE_MISMATCH, ...",
            rename={"app": "App", m.ERROR: "Error"},
            hide=("Time", "job", "application", "Value"),
            overrides=[],
        ),
        p.stat(
            "Apps sync",
            [p.target(raw(m.APPS_SYNC_UP, **sel), "{{instance}}", instant=True)],
            p.pos(16, y + 10, 8, 6),
            unit="none",
            thresholds=p.SYNC_UP_STEPS,
            mappings=[p.SYNC_MAPPING],
            no_value="no apps sync (off, or no UPM on this type)",
            description="A failed apps sync counts in sync_failures_total and leaves the "
            "license sync's status alone.",
        ),
    ]


def overview_stats(y: int) -> list[g.Stat]:
    days = config.APP_EXPIRY_WARNING_DAYS
    return [
        p.stat(
            f"Apps expiring within {days} days",
            [p.target(f"count(\n{app_expiring(days)}\n) or vector(0)", "all", instant=True)],
            p.pos(0, y, 8, 5),
            unit="short",
            thresholds=p.steps(p.GREEN, (1, p.ORANGE)),
            decimals=0,
            text_mode="value",
            description="Marketplace app licenses (evaluations included) across all instances.",
        ),
        p.stat(
            "App tier mismatches",
            [p.target(f"count(\n{app_tier_mismatch()}\n) or vector(0)", "all", instant=True)],
            p.pos(8, y, 8, 5),
            unit="short",
            thresholds=p.steps(p.GREEN, (1, p.RED)),
            decimals=0,
            text_mode="value",
            description="Apps licensed below their host product's tier, or with a user or "
            "edition mismatch UPM reports, across all instances: those apps have stopped "
            "working.",
        ),
    ]
