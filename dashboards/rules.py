"""Recording and alerting rules for Prometheus, generated from Python data.

Rendered to dashboards/generated/atlassian-license-rules.yaml by `python -m dashboards`.
Unlimited licenses never reach a seat alert: they have no limit, hence no utilisation, headroom
or forecast series, and the recording rules additionally drop them by `seats_unlimited`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from exporter import metrics as m

from . import config as c
from .promql import (
    EXPIRY,
    INACTIVE,
    INACTIVE_SHARE,
    LAST_SUCCESS,
    LIMIT,
    MAINTENANCE_EXPIRY,
    NEVER_ACTIVE,
    REMAINING,
    SYNC_INTERVAL,
    SYNC_UP,
    UNLIMITED,
    USED,
    UTILISATION,
    dedup,
    is_unlimited,
    raw,
)

PREFIX: Final = "AtlassianLicense"
RULES_FILE: Final = "atlassian-license-rules.yaml"
DAY: Final = c.SECONDS_PER_DAY
APP_PRODUCT: Final = "{{ $labels.product }} on {{ $labels.application }}"


@dataclass(frozen=True)
class Recording:
    record: str
    expr: str


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    expr: str
    for_: str
    summary: str
    description: str

    def runbook_url(self) -> str:
        return f"{c.RUNBOOK_BASE_URL}#{self.name.lower()}"


RECORDING_RULES: Final = (
    Recording(USED, dedup("max", raw(m.SEATS_USED))),
    Recording(UNLIMITED, dedup("max", raw(m.SEATS_UNLIMITED))),
    # `unless` guards against a product reporting a sentinel limit (-1) for unlimited licenses.
    Recording(LIMIT, f"{dedup('max', raw(m.SEATS_LIMIT))}\nunless\n{is_unlimited()}"),
    Recording(REMAINING, f"{dedup('min', raw(m.SEATS_REMAINING))}\nunless\n{is_unlimited()}"),
    # No limit series (unlimited) means no ratio; `> 0` keeps a zero limit from dividing.
    Recording(UTILISATION, f"{USED}\n/\n({LIMIT} > 0)"),
    Recording(EXPIRY, dedup("max", raw(m.EXPIRY))),
    Recording(MAINTENANCE_EXPIRY, dedup("max", raw(m.MAINTENANCE_EXPIRY))),
    # min: the table flags an application as soon as one replica fails to sync.
    Recording(SYNC_UP, dedup("min", raw(m.SYNC_UP))),
    # max: data is fresh if any replica synced recently.
    Recording(LAST_SUCCESS, dedup("max", raw(m.SYNC_LAST_SUCCESS))),
    Recording(SYNC_INTERVAL, dedup("max", raw(m.SYNC_INTERVAL))),
    Recording(INACTIVE, dedup("max", raw(m.INACTIVE_USERS))),
    Recording(NEVER_ACTIVE, dedup("max", raw(m.USERS_NEVER_ACTIVE))),
    # Share of the seats used held by inactive users, per period; `> 0`: no seat, no share.
    Recording(INACTIVE_SHARE, f"{INACTIVE}\n/ ignoring(inactive_for) group_left()\n({USED} > 0)"),
)


def _pct(ratio: float) -> str:
    return f"{ratio * 100:g} %"


_loading = raw(m.CROWD_STATUS, status="LOADING")
_loading_throughout = dedup("max", f"min_over_time({_loading}[{c.CROWD_LOADING_FOR}])")
_loading_then = dedup("max", f"{_loading} offset {c.CROWD_LOADING_FOR}")
_forecast_range = f"{USED}[{c.days(c.FORECAST_RANGE_DAYS)}]"
_horizon = f"{c.FORECAST_HORIZON_DAYS} * {DAY}"

ALERTS: Final = (
    Alert(
        f"{PREFIX}SeatsNearlyExhausted",
        "warning",
        f"{UTILISATION} >= {c.SEATS_UTILISATION_WARNING}",
        c.SEATS_WARNING_FOR,
        "License seats are nearly exhausted.",
        f"{APP_PRODUCT} uses {{{{ $value | humanizePercentage }}}} of its licensed seats "
        f"(warning at {_pct(c.SEATS_UTILISATION_WARNING)}).",
    ),
    Alert(
        f"{PREFIX}SeatsNearlyExhausted",
        "critical",
        f"{UTILISATION} >= {c.SEATS_UTILISATION_CRITICAL}\nor\n"
        f"({UTILISATION} and {REMAINING} <= {c.SEATS_REMAINING_CRITICAL:g})",
        c.SEATS_CRITICAL_FOR,
        "License seats are nearly exhausted.",
        f"{APP_PRODUCT} uses {{{{ $value | humanizePercentage }}}} of its licensed seats "
        f"(critical at {_pct(c.SEATS_UTILISATION_CRITICAL)} or no seat left); "
        "new users cannot be given access.",
    ),
    Alert(
        f"{PREFIX}SeatsFillingUp",
        "warning",
        f"(\n  predict_linear({_forecast_range}, {_horizon})\n  >= {LIMIT}\n)\nand\n"
        f"{UTILISATION} >= {c.FORECAST_GATE_UTILISATION}",
        c.FORECAST_FOR,
        f"License seats are forecast to run out within {c.FORECAST_HORIZON_DAYS} days.",
        f"{APP_PRODUCT} is forecast to need {{{{ $value | humanize }}}} seats in "
        f"{c.FORECAST_HORIZON_DAYS} days, more than its license allows, at the growth rate of "
        f"the last {c.FORECAST_RANGE_DAYS} days.",
    ),
    # Informational: buying seats while a share of them sits idle is the costly mistake.
    Alert(
        f"{PREFIX}SeatsReclaimable",
        "info",
        f'{INACTIVE_SHARE}{{inactive_for="{c.RECLAIM_INACTIVE_FOR}"}} > {c.RECLAIM_SHARE}\n'
        f"and ignoring(inactive_for)\n{UTILISATION} >= {c.SEATS_UTILISATION_WARNING}",
        c.RECLAIM_FOR,
        "Seats are nearly exhausted while inactive users hold many of them.",
        f"{{{{ $value | humanizePercentage }}}} of the seats used by {APP_PRODUCT} are held by "
        f"users inactive for {c.RECLAIM_INACTIVE_FOR} or more (informational above "
        f"{_pct(c.RECLAIM_SHARE)}), and utilisation is at least "
        f"{_pct(c.SEATS_UTILISATION_WARNING)}: reclaim those seats before buying more.",
    ),
    Alert(
        f"{PREFIX}ExpiringSoon",
        "warning",
        f"({EXPIRY} - time()) < {c.LICENSE_EXPIRY_WARNING_DAYS} * {DAY}\nand\n"
        f"({EXPIRY} - time()) > 0",
        c.EXPIRY_FOR,
        "A license expires soon.",
        f"The license of {APP_PRODUCT} expires in {{{{ $value | humanizeDuration }}}} "
        f"(warning below {c.LICENSE_EXPIRY_WARNING_DAYS} days).",
    ),
    Alert(
        f"{PREFIX}ExpiringSoon",
        "critical",
        f"({EXPIRY} - time()) < {c.LICENSE_EXPIRY_CRITICAL_DAYS} * {DAY}\nand\n"
        f"({EXPIRY} - time()) > 0",
        c.EXPIRY_FOR,
        "A license expires soon.",
        f"The license of {APP_PRODUCT} expires in {{{{ $value | humanizeDuration }}}} "
        f"(critical below {c.LICENSE_EXPIRY_CRITICAL_DAYS} days).",
    ),
    Alert(
        f"{PREFIX}Expired",
        "critical",
        f"(time() - {EXPIRY}) >= 0",
        c.EXPIRED_FOR,
        "A license has expired.",
        f"The license of {APP_PRODUCT} expired {{{{ $value | humanizeDuration }}}} ago.",
    ),
    Alert(
        f"{PREFIX}MaintenanceExpiringSoon",
        "warning",
        f"({MAINTENANCE_EXPIRY} - time()) < {c.MAINTENANCE_EXPIRY_WARNING_DAYS} * {DAY}\nand\n"
        f"({MAINTENANCE_EXPIRY} - time()) > 0",
        c.EXPIRY_FOR,
        "License maintenance expires soon.",
        f"Maintenance (support and updates) of {APP_PRODUCT} expires in "
        "{{ $value | humanizeDuration }} "
        f"(warning below {c.MAINTENANCE_EXPIRY_WARNING_DAYS} days).",
    ),
    # Crowd: the exporter's sync is fine, but Crowd has no (fresh) numbers to give.
    Alert(
        f"{PREFIX}CrowdNotConfigured",
        "warning",
        f"{dedup('max', raw(m.CROWD_STATUS, status='NOT_CONFIGURED'))} == 1",
        c.CROWD_NOT_CONFIGURED_FOR,
        "Crowd has no license data for an application.",
        f"Crowd reports license visibility of {APP_PRODUCT} as NOT_CONFIGURED for more than "
        f"{c.humanize_for(c.CROWD_NOT_CONFIGURED_FOR)}: Crowd never got data for it, so its "
        "seats are not monitored.",
    ),
    # One rule for both causes (promtool refuses two rules of one name and labels): LOADING
    # throughout the last CROWD_LOADING_FOR (and already then: `offset`), or an old timestamp.
    Alert(
        f"{PREFIX}CrowdDataStale",
        "warning",
        f"(\n  {_loading_throughout} == 1\n  and\n  {_loading_then}\n)\nor\n"
        f"(\n  time() - {dedup('max', raw(m.DATA_TIMESTAMP))}\n"
        f"  > {c.CROWD_DATA_MAX_AGE_HOURS} * 3600\n)",
        c.CROWD_DATA_STALE_FOR,
        "Crowd's license data for an application is stale.",
        f"Crowd's license data for {APP_PRODUCT} is stale: Crowd has been LOADING it for more "
        f"than {c.humanize_for(c.CROWD_LOADING_FOR)}, or last pulled it more than "
        f"{c.CROWD_DATA_MAX_AGE_HOURS} hours ago ({m.DATA_TIMESTAMP.name}); "
        "the seat numbers are missing or that old.",
    ),
    # Per exporter replica: credentials and network paths are per replica, so is the fix.
    Alert(
        f"{PREFIX}SyncFailing",
        "warning",
        f"{raw(m.SYNC_UP)} == 0",
        c.SYNC_FAILING_FOR,
        "The exporter cannot sync license data from an application.",
        f"Exporter {{{{ $labels.instance }}}} has failed to sync {{{{ $labels.application }}}} "
        f"for more than {c.humanize_for(c.SYNC_FAILING_FOR)}; "
        f"{m.SYNC_FAILURES.name} tells the reason.",
    ),
    # Per application, HA-aware: stale only when no replica has synced recently.
    Alert(
        f"{PREFIX}DataStale",
        "warning",
        f"(time() - {LAST_SUCCESS})\n> {c.STALE_FACTOR} * {SYNC_INTERVAL}",
        c.STALE_FOR,
        "License data of an application is stale.",
        "License data of {{ $labels.application }} was last synced "
        "{{ $value | humanizeDuration }} ago, more than "
        f"{c.STALE_FACTOR} sync intervals; its license series have been dropped "
        "and license alerts cannot fire.",
    ),
    Alert(
        f"{PREFIX}ExporterDown",
        "warning",
        f"up{{{c.JOB_SELECTOR}}} == 0",
        c.EXPORTER_DOWN_FOR,
        "Prometheus cannot scrape the Atlassian license exporter.",
        "Prometheus has failed to scrape {{ $labels.instance }} of job {{ $labels.job }} for "
        f"more than {c.humanize_for(c.EXPORTER_DOWN_FOR)}.",
    ),
    Alert(
        f"{PREFIX}ExporterAbsent",
        "warning",
        f"absent(up{{{c.JOB_SELECTOR}}})",
        c.EXPORTER_DOWN_FOR,
        "The Atlassian license exporter has disappeared from Prometheus target discovery.",
        f"No target of job {c.JOB} has existed for more than "
        f"{c.humanize_for(c.EXPORTER_DOWN_FOR)}; no license alert can fire.",
    ),
)


def alert_names() -> list[str]:
    return sorted({a.name for a in ALERTS})


def rules_document() -> dict[str, Any]:
    """The rules file as a plain structure, ready for YAML."""
    alerts = [
        {
            "alert": a.name,
            "expr": a.expr,
            "for": a.for_,
            "labels": {"severity": a.severity},
            "annotations": {
                "summary": a.summary,
                "description": a.description,
                "runbook_url": a.runbook_url(),
            },
        }
        for a in ALERTS
    ]
    return {
        "groups": [
            {
                "name": "atlassian-license.rules",
                "rules": [{"record": r.record, "expr": r.expr} for r in RECORDING_RULES],
            },
            {"name": "atlassian-license.alerts", "rules": alerts},
        ]
    }
