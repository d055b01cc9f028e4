"""Panels for numbers only some sources give: reclaimable seats (inactive licensed users, from
the user scans) on both dashboards, and the age of Crowd's data."""

from __future__ import annotations

from typing import Final

from grafanalib import core as g

from exporter import metrics as m

from . import config
from . import panels as p
from .promql import INACTIVE, INACTIVE_SHARE, NEVER_ACTIVE, USED, dedup, raw, reclaim, recorded

RECLAIM: Final = config.RECLAIM_INACTIVE_FOR
SHARE: Final = f"Share of seats inactive {RECLAIM}+"
COLUMNS: Final = {
    "Value #A": "Seats used",
    "Value #B": f"Inactive {RECLAIM}+",
    "Value #C": "Never active",
    "Value #D": SHARE,
}
SOURCES: Final = "from the user scans (Crowd, Bitbucket, Confluence 9.3+)"


def overview_table(row_link: str, link_title: str) -> g.Table:
    # Only products whose users are scanned: seats used `and` a user-scan series.
    targets = [
        p.target(f"{USED}\nand\n{NEVER_ACTIVE}", ref="A", table=True),
        p.target(reclaim(INACTIVE), ref="B", table=True),
        p.target(NEVER_ACTIVE, ref="C", table=True),
        p.target(reclaim(INACTIVE_SHARE), ref="D", table=True),
    ]
    return p.table(
        "Reclaimable seats by product",
        targets,
        p.pos(0, 27, 16, 8),
        description=f"Licensed users inactive for {RECLAIM} or more (never active included), "
        f"{SOURCES}. The share turns orange where the 'reclaim before you buy' alert fires "
        "once seats run short.",
        rename={"application": "application", "product": "product", **COLUMNS},
        hide=("Time", "job"),
        overrides=[
            p.override("application", ("links", [{"title": link_title, "url": row_link}])),
            p.override(
                SHARE,
                ("unit", "percentunit"),
                ("decimals", 1),
                *p.threshold_props(p.RECLAIM_STEPS, "color-background"),
            ),
        ],
    )


def overview_total() -> g.Stat:
    return p.stat(
        f"Seats held by users inactive {RECLAIM}+",
        [p.target(f"sum({reclaim(INACTIVE)})", "all applications", instant=True)],
        p.pos(16, 27, 8, 8),
        unit="short",
        thresholds=p.NEUTRAL_STEPS,
        no_value="no user scans",
        decimals=0,
        description="Across every application whose users are scanned: seats that could be "
        "freed before buying more.",
    )


def application_panels(app: str, sel: dict[str, str]) -> list[object]:
    """The reclaim row of the application dashboard; `sel` selects application and products."""
    per_app = {"application": app}
    last_active = dedup("max", raw(m.USER_LAST_ACTIVE, **sel))
    return [
        p.timeseries(
            "Inactive licensed users",
            [
                p.target(recorded(INACTIVE, **sel), "{{product}} inactive {{inactive_for}}+", "A"),
                p.target(recorded(NEVER_ACTIVE, **sel), "{{product}} never active", "B"),
            ],
            p.pos(0, 45, 12, 8),
            unit="short",
            description="Licensed users whose last activity is older than each configured "
            f"period (never active included), {SOURCES}.",
        ),
        p.stat(
            SHARE,
            [
                p.target(
                    recorded(INACTIVE_SHARE, **sel, inactive_for=RECLAIM),
                    "{{product}}",
                    instant=True,
                )
            ],
            p.pos(12, 45, 6, 8),
            unit="percentunit",
            thresholds=p.RECLAIM_STEPS,
            decimals=1,
            no_value="no user scan",
            description=f"Seats used that users inactive for {RECLAIM} or more hold; orange "
            f"from {config.RECLAIM_SHARE:.0%}, where the 'reclaim before you buy' alert fires "
            "once seats run short.",
        ),
        p.stat(
            "User scan",
            [p.target(raw(m.USERS_SYNC_UP, **per_app), "{{instance}}", instant=True)],
            p.pos(18, 45, 6, 4),
            unit="none",
            thresholds=p.SYNC_UP_STEPS,
            mappings=[p.SYNC_MAPPING],
            no_value="no user scan for this type",
            description="A failed user scan leaves the seat numbers and the sync status alone.",
        ),
        p.stat(
            "Last successful user scan",
            [
                p.target(
                    f"time() - {raw(m.USERS_SYNC_LAST_SUCCESS, **per_app)}",
                    "{{instance}}",
                    instant=True,
                )
            ],
            p.pos(18, 49, 6, 4),
            unit="s",
            thresholds=p.NEUTRAL_STEPS,
            no_value="never",
        ),
        p.table(
            "Who could be reclaimed",
            [p.target(f"{last_active} * 1000", ref="A", table=True)],
            p.pos(0, 53, 24, 10),
            description="Opt-in (user_detail): users inactive for longer than the configured "
            "period, the longest inactive first, capped per application. User names that look "
            "like e-mail addresses are never exported.",
            rename={"product": "Product", m.USER: "User", "Value": "Last active"},
            hide=("Time", "job", "application"),
            overrides=[
                p.override(
                    "Last active", ("unit", "dateTimeAsIso"), ("mappings", [p.NEVER_MAPPING])
                )
            ],
        ),
    ]


def data_age(sel: dict[str, str]) -> g.Stat:
    return p.stat(
        "Age of Crowd's data",
        [
            p.target(
                f"time() - {dedup('max', raw(m.DATA_TIMESTAMP, **sel))}",
                "{{product}}",
                instant=True,
            )
        ],
        p.pos(18, 25, 6, 5),
        unit="s",
        thresholds=p.NEUTRAL_STEPS,
        no_value="not read through Crowd",
        description="When Crowd last pulled this application's license usage (its "
        "Synchronisation interval); old data means the application link is broken.",
    )
