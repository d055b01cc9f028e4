"""PromQL building blocks shared by the rule generator and the dashboards.

Metric names come from `exporter.metrics`, never retyped; recorded series are named here once
and referenced by both the rules that produce them and the panels that read them.
"""

from __future__ import annotations

from typing import Final

from exporter import metrics as m
from exporter.apptypes import DATA_CENTER_TYPES

from . import config

# Recorded series, named level:metric:operations. The level is what is left after the replica
# labels are aggregated away (job and other target labels stay, for routing and multi-cluster).
USED: Final = f"application_product:{m.SEATS_USED.name}:max"
LIMIT: Final = f"application_product:{m.SEATS_LIMIT.name}:max"
# Headroom: the product's own remaining count; min over replicas is the pessimistic view.
REMAINING: Final = f"application_product:{m.SEATS_REMAINING.name}:min"
UNLIMITED: Final = f"application_product:{m.SEATS_UNLIMITED.name}:max"
UTILISATION: Final = f"application_product:{m.NAMESPACE}_seats_utilisation:ratio"
EXPIRY: Final = f"application_product:{m.EXPIRY.name}:max"
MAINTENANCE_EXPIRY: Final = f"application_product:{m.MAINTENANCE_EXPIRY.name}:max"
SYNC_UP: Final = f"application:{m.SYNC_UP.name}:min"
LAST_SUCCESS: Final = f"application:{m.SYNC_LAST_SUCCESS.name}:max"
SYNC_INTERVAL: Final = f"application:{m.SYNC_INTERVAL.name}:max"
# From user scans. The share keeps the inactive_for label: one series per configured period.
INACTIVE: Final = f"application_product_inactive_for:{m.INACTIVE_USERS.name}:max"
NEVER_ACTIVE: Final = f"application_product:{m.USERS_NEVER_ACTIVE.name}:max"
INACTIVE_SHARE: Final = f"application_product_inactive_for:{m.NAMESPACE}_inactive_seats:ratio"

# The renewal planner: the slope of seats used, forecasts at per-series dates (predict_linear
# takes one scalar horizon, so a per-series date needs the slope form), the run-out date.
SLOPE: Final = f"application_product:{m.SEATS_USED.name}:deriv{config.PLANNER_SLOPE_DAYS}d"
FORECAST_RENEWAL: Final = f"application_product:{m.SEATS_USED.name}:forecast_renewal"
FORECAST_LAST_EXPANSION: Final = f"application_product:{m.SEATS_USED.name}:forecast_last_expansion"
FORECAST_END_OF_LIFE: Final = f"application_product:{m.SEATS_USED.name}:forecast_end_of_life"
RUN_OUT: Final = f"application_product:{m.NAMESPACE}_seats_run_out_timestamp_seconds:max"
SUNSET: Final = f"milestone:{m.DC_SUNSET.name}:max"
APPLICATION_INFO: Final = f"application:{m.APPLICATION_INFO.name}:max"
TIER_NEXT: Final = f"application_product:{m.TIER_NEXT_SEATS.name}:max"
GROUP_MEMBERS: Final = f"application_product_group:{m.GROUP_MEMBERS.name}:max"

# Data Center types, from the registry of application types.
DATA_CENTER_INFO: Final = f'{APPLICATION_INFO}{{type=~"{"|".join(DATA_CENTER_TYPES)}"}}'

# Marketplace apps, per application and app (plugin key); the error series keeps its label.
APP_SEATS_LIMIT: Final = f"application_app:{m.APP_SEATS_LIMIT.name}:max"
APP_EXPIRY: Final = f"application_app:{m.APP_EXPIRY.name}:max"
APP_MAINTENANCE_EXPIRY: Final = f"application_app:{m.APP_MAINTENANCE_EXPIRY.name}:max"
# min: invalid as soon as one replica reads it invalid.
APP_VALID: Final = f"application_app:{m.APP_VALID.name}:min"
APP_ERROR: Final = f"application_app_error:{m.APP_ERROR.name}:max"
# The host product's tier an app must match: the largest limited product of the application
# (for Jira, the largest Jira product, as the Marketplace requires).
HOST_SEATS_LIMIT: Final = f"application:{m.NAMESPACE}_host_seats_limit:max"

REPLICAS: Final = ", ".join(config.REPLICA_LABELS)


def matchers(**labels: str) -> str:
    """`{k="v", ...}`; a value starting with `~` becomes a regex matcher."""
    parts = []
    for name, value in labels.items():
        if value.startswith("~"):
            parts.append(f'{name}=~"{value[1:]}"')
        else:
            parts.append(f'{name}="{value}"')
    return "{" + ", ".join(parts) + "}" if parts else ""


def raw(metric: m.MetricSpec, **labels: str) -> str:
    """A selector on an exporter metric, always restricted to the exporter's job."""
    extra = matchers(**labels)
    inner = config.JOB_SELECTOR + (", " + extra[1:-1] if extra else "")
    return f"{metric.name}{{{inner}}}"


def recorded(name: str, **labels: str) -> str:
    """A selector on a recorded series (already restricted to the job when recorded)."""
    return name + matchers(**labels)


def dedup(agg: str, expr: str) -> str:
    """Aggregate the replica labels away so an HA pair counts once."""
    return f"{agg} without({REPLICAS}) ({expr})"


def is_unlimited(**labels: str) -> str:
    return f"{recorded(UNLIMITED, **labels)} == 1"


def unlimited_as_nan(**labels: str) -> str:
    """NaN for unlimited licenses; panels map NaN to the text "unlimited".

    NaN cannot collide with a real value, unlike -1 (Bitbucket reports negative remaining seats).
    """
    return f"({is_unlimited(**labels)}) * NaN"


def per_product(app_expr: str, **labels: str) -> str:
    """Copy an application-level value onto each product row of the application.

    The overview table has one row per application and product; sync health is per application.
    The right side is one series per product (`unlimited` is always exported, 0 or 1).
    """
    return f"({app_expr}) + ignoring(product) group_right() (0 * {recorded(UNLIMITED, **labels)})"


def days_until(timestamp_expr: str) -> str:
    return f"({timestamp_expr} - time()) / {config.SECONDS_PER_DAY}"


def as_millis(timestamp_expr: str) -> str:
    """Grafana's dateTimeAsIso expects milliseconds; the exporter exports Unix seconds."""
    return f"({timestamp_expr}) * 1000"


def seats_run_out_seconds(window: str, **labels: str) -> str:
    """Seconds until the linear fit over `window` reaches the limit (absent if not growing).

    Solves predict_linear(used[w], t) = limit for t, the same fit the forecast alert uses:
    t = (limit - predict_linear(used[w], 0)) / deriv(used[w]). Clamped at 0 once exhausted.
    """
    used = f"{recorded(USED, **labels)}[{window}]"
    return (
        f"clamp_min(({recorded(LIMIT, **labels)} - predict_linear({used}, 0))"
        f" / (deriv({used}) > 0), 0)"
    )


def reclaim(name: str, **labels: str) -> str:
    """A recorded inactive-user series for the reclaim period, its inactive_for label dropped
    so that it joins the other per-product series of a table row."""
    selector = recorded(name, **labels, inactive_for=config.RECLAIM_INACTIVE_FOR)
    return f"max without(inactive_for) ({selector})"


def sunset(milestone: str) -> str:
    """One Data Center date as a single, label-less series (to join with `on()`)."""
    return f"max({recorded(SUNSET, milestone=milestone)})"


def forecast_at(timestamp_expr: str, *, join: bool = False) -> str:
    """Seats at `timestamp_expr` at the recorded slope, never below today's seats (a shrinking
    instance keeps the seats it has) and never before now. `join`: the date is one label-less
    series shared by every product (the Data Center dates), joined with `on() group_left()`."""
    slope = f"clamp_min({SLOPE}, 0)"
    until = f"clamp_min({timestamp_expr} - time(), 0)"
    if join:
        return f"{USED}\n+\n{slope} * on() group_left()\n{until}"
    return f"{USED}\n+\n{slope} * {until}"


def data_center_only(expr: str) -> str:
    """`expr` for Data Center applications only (Atlassian's end of life is not Cloud's)."""
    return f"{expr}\nand on(job, application)\n{DATA_CENTER_INFO}"


def app_tier_mismatch() -> str:
    """Apps below their host's tier, or with a mismatch UPM reports: the AppTierMismatch alert's
    condition, also counted on the overview. One series per application and app."""
    errors = "|".join(config.APP_MISMATCH_ERRORS)
    return (
        f"(\n  {APP_SEATS_LIMIT}\n  < ignoring(app) group_left()\n  {HOST_SEATS_LIMIT}\n)\nor\n"
        f'max without(error) ({APP_ERROR}{{error=~"{errors}"}})'
    )


def app_expiring(days: int) -> str:
    """Apps whose license expires within `days` (and has not yet expired)."""
    left = f"({APP_EXPIRY} - time())"
    return f"{left} < {days} * {config.SECONDS_PER_DAY}\nand\n{left} > 0"
