"""The metric contract: names, label names and HELP texts.

Dashboards, alert rules and the collector import from here, so a rename breaks the build
instead of silently emptying a panel. Change a name only when an issue says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

NAMESPACE = "atlassian_license"
EXPORTER_NAMESPACE = "atlassian_license_exporter"

# Label names.
APPLICATION = "application"
PRODUCT = "product"
REASON = "reason"
LICENSE_TYPE = "license_type"
EVALUATION = "evaluation"
DATA_CENTER = "data_center"
PLAN = "plan"
INACTIVE_FOR = "inactive_for"
USER = "user"
VERSION = "version"
STATUS = "status"
DIRECTORY = "directory"

CACHED = "Cached from the last successful sync of the application; not read at scrape time."
CACHED_USERS = (
    "Cached from the last successful user scan of the application (users_sync_interval); "
    "not read at scrape time."
)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    type: Literal["gauge", "counter"]
    labels: tuple[str, ...]
    help: str


def _gauge(suffix: str, labels: tuple[str, ...], help_text: str) -> MetricSpec:
    return MetricSpec(f"{NAMESPACE}_{suffix}", "gauge", labels, help_text)


_AP = (APPLICATION, PRODUCT)
_A = (APPLICATION,)

SEATS_LIMIT = _gauge(
    "seats_limit", _AP, f"Seats the license allows; absent for an unlimited license. {CACHED}"
)
SEATS_USED = _gauge("seats_used", _AP, f"Users consuming a license seat. {CACHED}")
SEATS_REMAINING = _gauge(
    "seats_remaining",
    _AP,
    "Remaining seats as the product reports them (Bitbucket and Crowd: limit minus used, "
    f"negative when over the limit); absent for an unlimited license. {CACHED}",
)
SEATS_UNLIMITED = _gauge(
    "seats_unlimited", _AP, f"1 if the license allows unlimited users, else 0. {CACHED}"
)
EXPIRY = _gauge(
    "expiry_timestamp_seconds",
    _AP,
    f"License (subscription) expiry as a Unix timestamp, when the product reports one. {CACHED}",
)
MAINTENANCE_EXPIRY = _gauge(
    "maintenance_expiry_timestamp_seconds",
    _AP,
    f"Maintenance (support) expiry as a Unix timestamp, when the product reports one. {CACHED}",
)
GRACE_PERIOD_END = _gauge(
    "grace_period_end_timestamp_seconds",
    _AP,
    f"End of the license grace period as a Unix timestamp (Bitbucket). {CACHED}",
)
INFO = _gauge(
    "info",
    (APPLICATION, PRODUCT, LICENSE_TYPE, EVALUATION, DATA_CENTER, PLAN),
    "License information, always 1; a label the product does not report is 'unknown' "
    f"(plan: Jira Cloud's UNLICENSED, FREE or PAID). {CACHED}",
)
SEATS_USED_APPROXIMATE = _gauge(
    "seats_used_approximate",
    _AP,
    "Approximate users of the product as Jira Cloud reports them; Atlassian caches this count "
    f"for up to 7 days, so it lags seats_used. {CACHED}",
)
DATA_TIMESTAMP = _gauge(
    "data_timestamp_seconds",
    _AP,
    "Unix time of the upstream's own data (Crowd: when Crowd last pulled the application's "
    f"license usage); old data means Crowd's synchronisation is stuck. {CACHED}",
)
CROWD_STATUS = _gauge(
    "crowd_status",
    (APPLICATION, PRODUCT, STATUS),
    "Crowd's licensing status of the product (ApplicationLicensingStatus), state-set style: "
    "one series per status (NOT_CONFIGURED, LOADING, PRESENT, other), 1 for the current one; "
    f"NOT_CONFIGURED means Crowd never got data for it. {CACHED}",
)
CROWD_DIRECTORIES = _gauge(
    "crowd_directories",
    _A,
    "User directories of the application's licensed users, as Crowd counts them "
    f"(numberOfDirectories; for Jira the largest of its types). {CACHED}",
)
INACTIVE_USERS = _gauge(
    "inactive_users",
    (APPLICATION, PRODUCT, INACTIVE_FOR),
    "Licensed users whose last activity is older than inactive_for (as configured in "
    f"inactive_periods), users never active included. {CACHED_USERS}",
)
USERS_NEVER_ACTIVE = _gauge(
    "users_never_active", _AP, f"Licensed users with no recorded activity at all. {CACHED_USERS}"
)
USER_LAST_ACTIVE = _gauge(
    "user_last_active_timestamp_seconds",
    (APPLICATION, PRODUCT, USER),
    "Last activity of a licensed user inactive for longer than user_detail.inactive_for, as a "
    "Unix timestamp, 0 if never active; opt-in, at most user_detail.max_users series per "
    f"application, the longest inactive first. {CACHED_USERS}",
)
USERS_SKIPPED = _gauge(
    "users_skipped",
    _AP,
    "User records the last user scan could not use at all (not a JSON object, an unreadable "
    "activity date, no user name where a join needs one); they are in no other user count, "
    f"and the scan still succeeds. {CACHED_USERS}",
)
SEATS_USED_BY_DIRECTORY = _gauge(
    "seats_used_by_directory",
    (APPLICATION, PRODUCT, DIRECTORY),
    "Licensed users per user directory (label: the directory's name), from Crowd's licensed-user "
    "search filtered by directory, read from the same Crowd data version as the user scan; one "
    f"series per directory Crowd lists for the product. {CACHED_USERS}",
)
SYNC_UP = _gauge("sync_up", _A, "1 if the last sync of the application succeeded, else 0.")
SYNC_LAST_SUCCESS = _gauge(
    "sync_last_success_timestamp_seconds",
    _A,
    "Unix time the last successful sync of the application finished.",
)
SYNC_DURATION = _gauge(
    "sync_duration_seconds", _A, "Duration of the last sync of the application, in seconds."
)
SYNC_FAILURES = MetricSpec(
    f"{NAMESPACE}_sync_failures_total",
    "counter",
    (APPLICATION, REASON),
    "Failed syncs of the application by reason; a reason appears after its first failure.",
)
SYNC_INTERVAL = _gauge(
    "sync_interval_seconds", _A, "The configured sync interval of the application, in seconds."
)
USERS_SYNC_UP = _gauge(
    "users_sync_up",
    _A,
    "1 if the last user scan of the application succeeded, else 0; absent for types without "
    "user scans. A failed scan counts in sync_failures_total but leaves sync_up alone.",
)
USERS_SYNC_LAST_SUCCESS = _gauge(
    "users_sync_last_success_timestamp_seconds",
    _A,
    "Unix time the last successful user scan of the application finished.",
)
USERS_SYNC_DURATION = _gauge(
    "users_sync_duration_seconds", _A, "Duration of the last user scan of the application."
)
USERS_SYNC_INTERVAL = _gauge(
    "users_sync_interval_seconds",
    _A,
    "The configured user scan interval (users_sync_interval) of the application, in seconds.",
)
BUILD_INFO = MetricSpec(
    f"{EXPORTER_NAMESPACE}_build_info",
    "gauge",
    (VERSION, "python_version"),
    "Build information of the exporter, always 1.",
)
CONFIG_RELOAD_SUCCESSFUL = MetricSpec(
    f"{EXPORTER_NAMESPACE}_config_last_reload_successful",
    "gauge",
    (),
    "1 if the last configuration reload succeeded, else 0.",
)
CONFIG_RELOAD_SUCCESS_TIMESTAMP = MetricSpec(
    f"{EXPORTER_NAMESPACE}_config_last_reload_success_timestamp_seconds",
    "gauge",
    (),
    "Unix time of the last successful configuration load.",
)

LICENSE_METRICS = (
    SEATS_LIMIT,
    SEATS_USED,
    SEATS_REMAINING,
    SEATS_UNLIMITED,
    EXPIRY,
    MAINTENANCE_EXPIRY,
    GRACE_PERIOD_END,
    INFO,
    SEATS_USED_APPROXIMATE,
    DATA_TIMESTAMP,
    CROWD_STATUS,
    CROWD_DIRECTORIES,
)
SYNC_METRICS = (SYNC_UP, SYNC_LAST_SUCCESS, SYNC_DURATION, SYNC_FAILURES, SYNC_INTERVAL)
# From the user scans, a second, slower schedule per application (users_sync_interval).
USER_METRICS = (
    INACTIVE_USERS,
    USERS_NEVER_ACTIVE,
    USER_LAST_ACTIVE,
    USERS_SKIPPED,
    SEATS_USED_BY_DIRECTORY,
)
USERS_SYNC_METRICS = (
    USERS_SYNC_UP,
    USERS_SYNC_LAST_SUCCESS,
    USERS_SYNC_DURATION,
    USERS_SYNC_INTERVAL,
)
EXPORTER_METRICS = (BUILD_INFO, CONFIG_RELOAD_SUCCESSFUL, CONFIG_RELOAD_SUCCESS_TIMESTAMP)
ALL_METRICS = (
    *LICENSE_METRICS,
    *SYNC_METRICS,
    *USER_METRICS,
    *USERS_SYNC_METRICS,
    *EXPORTER_METRICS,
)

# The fixed vocabulary of CROWD_STATUS' status label: Crowd's three, then anything else.
CROWD_STATUS_VALUES = ("NOT_CONFIGURED", "LOADING", "PRESENT", "other")

# The fixed vocabulary of SYNC_FAILURES' reason label: every failure is one of these, checked
# by mypy at each SourceError. "internal" is a bug in the exporter itself, not an upstream fault.
Reason = Literal[
    "timeout",
    "connection",
    "dns",
    "tls",
    "http_3xx",
    "http_401",
    "http_403",
    "http_404",
    "http_407",
    "http_429",
    "http_4xx",
    "http_5xx",
    "not_json",
    "invalid_response",
    "body_too_large",
    "secret_file",
    "internal",
]
REASONS: tuple[Reason, ...] = get_args(Reason)
