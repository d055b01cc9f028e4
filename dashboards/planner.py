"""The renewal planner: per application and product, what to buy before the door closes (the
overview's *Renewal planner* row), and which group drives the seats (*Seats by group* on the
application dashboard)."""

from __future__ import annotations

from typing import Final

from grafanalib import core as g

from exporter import metrics as m

from . import config
from . import panels as p
from .promql import (
    FORECAST_END_OF_LIFE,
    FORECAST_LAST_EXPANSION,
    FORECAST_RENEWAL,
    GROUP_MEMBERS,
    INACTIVE,
    LIMIT,
    RUN_OUT,
    TIER_NEXT,
    USED,
    as_millis,
    data_center_only,
    dedup,
    raw,
    reclaim,
    recorded,
    unlimited_as_nan,
)

RECLAIMABLE: Final = f"Reclaimable (inactive {config.RECLAIM_INACTIVE_FOR})"
COLUMNS: Final = {
    "Value #A": "Seats now",
    "Value #B": "Limit",
    "Value #C": "Next tier",
    "Value #D": "Forecast at renewal",
    "Value #E": "Forecast at last expansion",
    "Value #F": "Forecast at end of life",
    "Value #G": "Seats run out",
    "Value #H": RECLAIMABLE,
    "Value #I": "Cost now",
    "Value #J": "Cost next tier",
}


def _cost(spec: m.MetricSpec) -> str:
    # The currency label would split a row from its seats; the column says "configured cost".
    return f"max without(currency) ({dedup('max', raw(spec))})"


def planner_table(y: int, row_link: str, link_title: str) -> g.Table:
    targets = [
        p.target(USED, ref="A", table=True),
        p.target(f"{LIMIT}\nor\n{unlimited_as_nan()}", ref="B", table=True),
        p.target(TIER_NEXT, ref="C", table=True),
        p.target(FORECAST_RENEWAL, ref="D", table=True),
        p.target(data_center_only(FORECAST_LAST_EXPANSION), ref="E", table=True),
        p.target(data_center_only(FORECAST_END_OF_LIFE), ref="F", table=True),
        p.target(as_millis(RUN_OUT), ref="G", table=True),
        p.target(reclaim(INACTIVE), ref="H", table=True),
        p.target(_cost(m.ANNUAL_COST), ref="I", table=True),
        p.target(_cost(m.NEXT_TIER_ANNUAL_COST), ref="J", table=True),
    ]
    seats = ("decimals", 0)
    return p.table(
        "Renewal planner",
        targets,
        p.pos(0, y, 24, 9),
        description="Per application and product: seats now, the license limit and the next "
        "tier of the configured ladder; the seat forecast at the license renewal (expiry), at "
        "Atlassian's last Data Center expansion date and at the Data Center end of life (Data "
        f"Center only), from the slope of the last {config.PLANNER_SLOPE_DAYS} days and never "
        "below today's seats; the date seats run out at that slope; seats held by users "
        f"inactive {config.RECLAIM_INACTIVE_FOR} or more (user scans; reclaim.exclude_users "
        "left out); and the annual cost now and at the next tier, in the currency of the "
        "exporter's `cost`, when configured. Owner labels (`labels`) appear as columns.",
        rename={"application": "application", "product": "product", **COLUMNS},
        hide=("Time", "job"),
        overrides=[
            p.override("application", ("links", [{"title": link_title, "url": row_link}])),
            p.override("Limit", ("mappings", [p.UNLIMITED_MAPPING]), seats),
            *(
                p.override(name, seats)
                for name in (
                    "Seats now",
                    "Next tier",
                    "Forecast at renewal",
                    "Forecast at last expansion",
                    "Forecast at end of life",
                    RECLAIMABLE,
                )
            ),
            p.override("Seats run out", ("unit", "dateTimeAsIso")),
            p.override("Cost now", ("decimals", 0)),
            p.override("Cost next tier", ("decimals", 0)),
        ],
    )


def seats_by_group(sel: dict[str, str], y: int) -> g.TimeSeries:
    return p.timeseries(
        "Seats by group",
        [p.target(recorded(GROUP_MEMBERS, **sel), "{{product}} / {{group}}", "A")],
        p.pos(0, y, 24, 8),
        unit="short",
        description="Active members of each group that grants a product (Jira and Jira Cloud: "
        "the application role's groups): which group drove a jump in seats. A user in several "
        "groups counts in each, so the lines can add up to more than the seats used.",
    )
