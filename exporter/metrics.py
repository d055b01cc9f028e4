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
CURRENCY = "currency"
MILESTONE = "milestone"
TYPE = "type"
GROUP = "group"
APP = "app"  # a Marketplace app's plugin key
NAME = "name"
ENABLED = "enabled"
ERROR = "error"

CACHED = "Cached from the last successful sync of the application; not read at scrape time."
CACHED_APPS = (
    "Cached from the last successful Marketplace apps sync of the application "
    "(marketplace_apps.sync_interval); not read at scrape time."
)
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
# The renewal planner (issue #14): tiers and prices from the configuration, not the product.
TIER_NEXT_SEATS = _gauge(
    "tier_next_seats",
    _AP,
    "The smallest user tier of the configured ladder (tiers) above the current license limit; "
    f"absent for an unlimited license or one at the top of the ladder. {CACHED}",
)
ANNUAL_COST = _gauge(
    "annual_cost",
    (APPLICATION, PRODUCT, CURRENCY),
    "Annual price of the license now, from the configured cost: the price of the tier equal to "
    "the license limit, or else of the smallest priced tier above it; absent without cost, "
    f"for an unlimited license, or when no tier at or above the limit is priced. {CACHED}",
)
NEXT_TIER_ANNUAL_COST = _gauge(
    "next_tier_annual_cost",
    (APPLICATION, PRODUCT, CURRENCY),
    "Annual price of the next tier (tier_next_seats), from the configured cost: the price of "
    "that tier, or else of the smallest priced tier above it; absent without cost or next "
    f"tier. {CACHED}",
)
GROUP_MEMBERS = _gauge(
    "group_members",
    (APPLICATION, PRODUCT, GROUP),
    "Active members of each group that grants the product (Jira and Jira Cloud: the groups of "
    "the application role), one request per group for its total. A user in several groups "
    f"counts in each, so the sum can exceed seats_used. {CACHED}",
)
USERS_EXCLUDED = _gauge(
    "users_excluded",
    _AP,
    "Licensed users whose name matches reclaim.exclude_users (service accounts, bots, "
    "break-glass admins); they still hold seats but are not counted in inactive_users or "
    f"users_never_active. {CACHED_USERS}",
)
APPLICATION_INFO = _gauge(
    "application_info",
    (APPLICATION, TYPE),
    "1 for each configured application; type is its configured type (jira, jira-cloud, ...), "
    "so rules and dashboards can tell Data Center from Cloud applications.",
)
DC_SUNSET = MetricSpec(
    f"{NAMESPACE}_dc_sunset_timestamp_seconds",
    "gauge",
    (MILESTONE,),
    "Atlassian's Data Center milestones as Unix timestamps (midnight UTC of each date, from "
    "global.dc_sunset): last_expansion, the last day subscriptions can be expanded, and "
    "end_of_life.",
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

_AA = (APPLICATION, APP)
APP_INFO = _gauge(
    "app_info",
    (APPLICATION, APP, NAME, VERSION, LICENSE_TYPE, ENABLED),
    "A user-installed Marketplace app, always 1 (license_type upper-case, 'none' for a free "
    f"app without a license). {CACHED_APPS}",
)
APP_EXPIRY = _gauge(
    "app_expiry_timestamp_seconds",
    _AA,
    f"Expiry of the app's license as a Unix timestamp, when UPM reports one. {CACHED_APPS}",
)
APP_MAINTENANCE_EXPIRY = _gauge(
    "app_maintenance_expiry_timestamp_seconds",
    _AA,
    "Maintenance expiry of the app's license as a Unix timestamp, when UPM reports one. "
    f"{CACHED_APPS}",
)
APP_SEATS_LIMIT = _gauge(
    "app_seats_limit",
    _AA,
    "Users the app's license allows (its user tier); absent for an unlimited license or a "
    f"free app. {CACHED_APPS}",
)
APP_VALID = _gauge(
    "app_valid", _AA, f"1 if UPM reports the app's license valid, else 0. {CACHED_APPS}"
)
APP_EVALUATION = _gauge(
    "app_evaluation", _AA, f"1 if the app's license is an evaluation license, else 0. {CACHED_APPS}"
)
APP_ERROR = _gauge(
    "app_error",
    (APPLICATION, APP, ERROR),
    "1 while UPM reports an error for the app's license (error as UPM sends it: EXPIRED, "
    f"USER_MISMATCH, EDITION_MISMATCH, ...). {CACHED_APPS}",
)
APPS_SYNC_UP = _gauge(
    "apps_sync_up",
    _A,
    "1 if the last Marketplace apps sync of the application succeeded, else 0; absent where "
    "the apps sync is off or the type has no UPM. A failed apps sync counts in "
    "sync_failures_total but leaves sync_up alone.",
)
APPS_SYNC_LAST_SUCCESS = _gauge(
    "apps_sync_last_success_timestamp_seconds",
    _A,
    "Unix time the last successful Marketplace apps sync of the application finished.",
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
PLANNER_METRICS = (
    TIER_NEXT_SEATS,
    ANNUAL_COST,
    NEXT_TIER_ANNUAL_COST,
    GROUP_MEMBERS,
    APPLICATION_INFO,
)
SYNC_METRICS = (SYNC_UP, SYNC_LAST_SUCCESS, SYNC_DURATION, SYNC_FAILURES, SYNC_INTERVAL)
# From the user scans, a second, slower schedule per application (users_sync_interval).
USER_METRICS = (
    INACTIVE_USERS,
    USERS_NEVER_ACTIVE,
    USER_LAST_ACTIVE,
    USERS_SKIPPED,
    SEATS_USED_BY_DIRECTORY,
    USERS_EXCLUDED,
)
USERS_SYNC_METRICS = (
    USERS_SYNC_UP,
    USERS_SYNC_LAST_SUCCESS,
    USERS_SYNC_DURATION,
    USERS_SYNC_INTERVAL,
)
# From UPM, a third schedule per application (marketplace_apps.sync_interval); appended after
# the others so that expositions without apps keep their order.
APP_METRICS = (
    APP_INFO,
    APP_EXPIRY,
    APP_MAINTENANCE_EXPIRY,
    APP_SEATS_LIMIT,
    APP_VALID,
    APP_EVALUATION,
    APP_ERROR,
)
APPS_SYNC_METRICS = (APPS_SYNC_UP, APPS_SYNC_LAST_SUCCESS)
EXPORTER_METRICS = (
    BUILD_INFO,
    CONFIG_RELOAD_SUCCESSFUL,
    CONFIG_RELOAD_SUCCESS_TIMESTAMP,
    DC_SUNSET,
)
ALL_METRICS = (
    *LICENSE_METRICS,
    *PLANNER_METRICS,
    *SYNC_METRICS,
    *USER_METRICS,
    *USERS_SYNC_METRICS,
    *EXPORTER_METRICS,
    *APP_METRICS,
    *APPS_SYNC_METRICS,
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

# Labels an owner label (`labels` in the configuration) may not take: every label the exporter
# itself puts on a series, the target labels Prometheus adds, and the replica label the rules
# aggregate away. "status" is reserved for upcoming series.
RESERVED_LABELS: frozenset[str] = frozenset(
    {label for spec in ALL_METRICS for label in spec.labels}
    | {"job", "instance", "pod", "status", "le", "quantile"}
)
