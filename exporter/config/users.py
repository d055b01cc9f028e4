"""Configuration of user scans and Crowd entries: types for config.py, and the checks that
depend on an application's type (reported with the key's location, like every other problem)."""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from exporter.config.durations import parse_duration

# Types whose users can be scanned for last activity, and where the data comes from.
USER_SCAN_TYPES: Final = ("crowd", "bitbucket", "confluence")
NO_USER_SCAN_TYPES: Final = ("jira", "jira-cloud")
CROWD_KEYS: Final = ("crowd_application_id", "crowd_application_type")
USER_KEYS: Final = ("users_sync_interval", "inactive_periods", "user_detail")
DEFAULT_INACTIVE_PERIODS: Final = ("30d", "90d", "180d")
# A label value per period and product: a handful is plenty for "reclaim" buckets.
MAX_PERIODS: Final = 10
MAX_DETAIL_USERS: Final = 1000


def _period(value: str) -> str:
    parse_duration(value)
    return value


# Kept as written: the text is the `inactive_for` label value ("90d", not 7776000).
Period = Annotated[str, AfterValidator(_period)]


def _unique(periods: tuple[str, ...]) -> tuple[str, ...]:
    seconds = [parse_duration(p) for p in periods]
    for index, value in enumerate(seconds):
        if value in seconds[:index]:
            raise ValueError(f"{periods[index]!r} repeats an earlier period")
    return periods


Periods = Annotated[
    tuple[Period, ...], Field(min_length=1, max_length=MAX_PERIODS), AfterValidator(_unique)
]


class UserDetail(BaseModel):
    """Opt-in per-user series for a "who could be reclaimed" table; one series per user."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inactive_for: Period = "90d"
    # 0 switches the detail off for one application when the global section turns it on.
    max_users: int = Field(default=50, ge=0, le=MAX_DETAIL_USERS, strict=True)


def type_problems(data: Any) -> list[str]:
    """Keys that only make sense for some types; checked on the raw data so that each problem
    names the key and is reported together with every other problem."""
    apps = data.get("applications") if isinstance(data, dict) else None
    problems = []
    for index, app in enumerate(apps if isinstance(apps, list) else []):
        if not isinstance(app, dict) or not isinstance(app.get("type"), str):
            continue
        kind, where = app["type"], f"applications[{index}]"
        if kind == "crowd":
            if app.get("crowd_application_id") is None:
                problems.append(
                    f"{where}.crowd_application_id: required for type crowd "
                    "(Crowd's numeric id of the application)"
                )
            if app.get("crowd_application_type") is None:
                problems.append(
                    f"{where}.crowd_application_type: required for type crowd "
                    "(one of: jira, confluence, bitbucket)"
                )
        elif kind in USER_SCAN_TYPES + NO_USER_SCAN_TYPES:  # an unknown type is reported anyway
            problems += [
                f"{where}.{key}: only allowed for type crowd" for key in CROWD_KEYS if key in app
            ]
        if kind in NO_USER_SCAN_TYPES:
            problems += [
                f"{where}.{key}: type {kind} has no user scan (only "
                f"{', '.join(USER_SCAN_TYPES)} do)"
                for key in USER_KEYS
                if key in app
            ]
    return problems
