"""Configuration of user scans: the types of their keys, and the settings a scan runs with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from exporter.config.durations import parse_duration

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


@dataclass(frozen=True)
class ScanSettings:
    """What a user scan counts, resolved once from the global and per-application keys."""

    periods: tuple[tuple[str, float], ...]  # (label as written, seconds)
    detail_after: float | None = None  # per-user detail for users inactive longer; None = off
    detail_max: int = 0

    @classmethod
    def of(cls, periods: tuple[str, ...], detail: UserDetail | None) -> ScanSettings:
        parsed = tuple((p, parse_duration(p)) for p in periods)
        if detail is None or detail.max_users == 0:
            return cls(parsed)
        return cls(parsed, parse_duration(detail.inactive_for), detail.max_users)
