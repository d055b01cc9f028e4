"""The one place for thresholds, durations and selectors.

The rule generator and both dashboards import from here, so a dashboard's colour steps and the
alert that pages on the same condition cannot drift apart. Change a value here, run
`python -m dashboards` and commit the regenerated files.
"""

from __future__ import annotations

from typing import Final

# Selector for the exporter's scrape job; every raw-metric selector starts with it so other jobs
# exporting look-alike metrics (a second, test exporter) do not leak into rules or panels.
JOB: Final = "atlassian-license-exporter"
JOB_SELECTOR: Final = f'job="{JOB}"'

# Labels that tell replicas of an HA pair apart. Rules aggregate them away
# (`max without(instance, pod)`), so two exporters scraping the same application count once.
# `without` on a label a series does not carry is a no-op, so listing `pod` is harmless outside
# Kubernetes.
REPLICA_LABELS: Final = ("instance", "pod")

# Seat utilisation (used / limit, 0..1). Alerts use `>=`, Grafana colour steps start at the value,
# so the same number means the same thing in both.
SEATS_UTILISATION_WARNING: Final = 0.90
SEATS_UTILISATION_CRITICAL: Final = 0.98
# Remaining seats at or below this are critical whatever the ratio (a 40-seat license at 97.5 %
# has one seat left, and Bitbucket reports negative remaining seats when over the limit).
SEATS_REMAINING_CRITICAL: Final = 0.0
SEATS_WARNING_FOR: Final = "1h"
SEATS_CRITICAL_FOR: Final = "15m"

# Exhaustion forecast, after node-mixin's NodeFilesystemSpaceFillingUp: only licenses already
# above the gate are forecast, so a linear fit on a small, noisy instance does not alert.
# Seats change in steps, hence a range of days rather than hours.
FORECAST_RANGE_DAYS: Final = 7
FORECAST_HORIZON_DAYS: Final = 14
FORECAST_GATE_UTILISATION: Final = 0.80
FORECAST_FOR: Final = "3h"
# The dashboard's selectable regression windows; the first is the default and equals the range
# the alert uses, so the default view shows what the alert sees.
FORECAST_WINDOWS_DAYS: Final = (FORECAST_RANGE_DAYS, 14, 30)

# License (subscription) and maintenance expiry, in days left. Alerts use `<`, never `==`.
LICENSE_EXPIRY_WARNING_DAYS: Final = 30
LICENSE_EXPIRY_CRITICAL_DAYS: Final = 7
MAINTENANCE_EXPIRY_WARNING_DAYS: Final = 30
EXPIRY_FOR: Final = "1h"
EXPIRED_FOR: Final = "5m"

# Sync health.
SYNC_FAILING_FOR: Final = "30m"
# Data is stale once the last success is older than this many sync intervals; the exporter drops
# license series at the same age, so this alert is what remains when the others go silent.
STALE_FACTOR: Final = 3
STALE_FOR: Final = "5m"
EXPORTER_DOWN_FOR: Final = "15m"

# Reclaimable seats ("reclaim before you buy", severity info): seats nearly exhausted (the
# SEATS_UTILISATION_WARNING ratio) while more than RECLAIM_SHARE of the seats used are held by
# users inactive for RECLAIM_INACTIVE_FOR. That period must be one of the exporter's
# `inactive_periods` (default 30d, 90d, 180d), written the same way: it is a label value.
RECLAIM_INACTIVE_FOR: Final = "90d"
RECLAIM_SHARE: Final = 0.25
RECLAIM_FOR: Final = "1h"

# Crowd license visibility. NOT_CONFIGURED that long: Crowd never got data for the application
# (plugin, application link or synchronisation interval missing). LOADING that long, or data
# older than CROWD_DATA_MAX_AGE_HOURS: Crowd's pull from the product is stuck.
CROWD_NOT_CONFIGURED_FOR: Final = "1h"
CROWD_LOADING_FOR: Final = "6h"
CROWD_DATA_MAX_AGE_HOURS: Final = 24
CROWD_DATA_STALE_FOR: Final = "5m"

SECONDS_PER_DAY: Final = 86400

RUNBOOK_BASE_URL: Final = (
    "https://github.com/atlassian-license-exporter/atlassian-license-exporter/blob/main/"
    "docs/runbook.md"
)

# Dashboard identity; the overview links to the application dashboard by uid.
OVERVIEW_UID: Final = "atlassian-license-overview"
APPLICATION_UID: Final = "atlassian-license-application"
DASHBOARD_TAGS: Final = ("atlassian", "license")
# Grafana 10.4 / 11; set explicitly because grafanalib defaults to the ancient 12.
SCHEMA_VERSION: Final = 39


def days(n: int) -> str:
    """A PromQL duration of n days."""
    return f"{n}d"


def duration_minutes(duration: str) -> int:
    """Minutes in a `for:` duration written as `<n>m` or `<n>h` (used in alert texts)."""
    value, unit = int(duration[:-1]), duration[-1]
    factor = {"m": 1, "h": 60, "d": 1440}[unit]
    return value * factor


def humanize_for(duration: str) -> str:
    """`30m` -> `30 minutes`, `1h` -> `1 hour`, for alert descriptions."""
    minutes = duration_minutes(duration)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"
