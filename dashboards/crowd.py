"""Crowd license visibility on both dashboards: Crowd's status per product, its directory count
and the licensed users per user directory. Only `type: crowd` applications have these series;
the panels show "not read through Crowd" for the others."""

from __future__ import annotations

from typing import Final

from grafanalib import core as g

from exporter import metrics as m

from . import panels as p
from .promql import dedup, raw

ROW: Final = "Crowd license visibility"
NOT_CROWD: Final = "not read through Crowd"
STATUS_TEXT: Final = (
    "Crowd's ApplicationLicensingStatus: PRESENT has data, LOADING is pulling it, "
    "NOT_CONFIGURED never got any (see the CrowdNotConfigured and CrowdDataStale alerts)."
)
DIRECTORY_TEXT: Final = (
    "Licensed users per user directory, from Crowd's licensed-user search filtered by "
    "directory; one series per directory Crowd lists for the product."
)


def _status(**sel: str) -> str:
    # The state set's current member: one series per product, its status as a label.
    return f"{dedup('max', raw(m.CROWD_STATUS, **sel))} == 1"


def _by_directory(**sel: str) -> str:
    return dedup("max", raw(m.SEATS_USED_BY_DIRECTORY, **sel))


def status_table(grid: g.GridPos, *, with_application: bool, **sel: str) -> g.Table:
    columns = {"application": "Application"} if with_application else {}
    return p.table(
        "Crowd licensing status",
        [p.target(_status(**sel), ref="A", table=True)],
        grid,
        description=STATUS_TEXT,
        rename={**columns, "product": "Product", m.STATUS: "Status"},
        hide=("Time", "Value", "job", *(() if with_application else ("application",))),
        overrides=[],
    )


def overview_panels(y: int) -> list[object]:
    return [
        p.row(ROW, y),
        status_table(p.pos(0, y + 1, 12, 8), with_application=True),
        p.timeseries(
            "Seats used by user directory",
            [p.target(_by_directory(), "{{application}} {{product}} {{directory}}")],
            p.pos(12, y + 1, 12, 8),
            unit="short",
            description=DIRECTORY_TEXT,
        ),
    ]


def application_panels(y: int, app: str, sel: dict[str, str]) -> list[object]:
    return [
        p.row(ROW, y),
        status_table(p.pos(0, y + 1, 8, 7), with_application=False, **sel),
        p.stat(
            "User directories",
            [p.target(dedup("max", raw(m.CROWD_DIRECTORIES, application=app)), "", instant=True)],
            p.pos(8, y + 1, 4, 7),
            unit="none",
            thresholds=p.NEUTRAL_STEPS,
            no_value=NOT_CROWD,
            description="Directories of the application's licensed users, as Crowd counts them "
            "(numberOfDirectories).",
        ),
        p.timeseries(
            "Seats used by user directory",
            [p.target(_by_directory(**sel), "{{product}} {{directory}}")],
            p.pos(12, y + 1, 12, 7),
            unit="short",
            description=DIRECTORY_TEXT,
        ),
    ]
