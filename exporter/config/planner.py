"""Configuration of the renewal planner: user tiers, prices, owner labels, reclaim exclusions
and Atlassian's Data Center dates. The defaults and their sources are in docs/sources.md."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from itertools import pairwise
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr
from pydantic import model_validator as _model_validator

from exporter.metrics import RESERVED_LABELS

# Atlassian's Data Center user tiers (Jira Software, Confluence, Jira Service Management's
# agent tiers differ: set `tiers` per application). docs/sources.md says where it comes from.
DEFAULT_TIERS: Final = (
    500,
    1000,
    2000,
    3000,
    4000,
    5000,
    6000,
    7000,
    8000,
    9000,
    10000,
    15000,
    20000,
    25000,
    30000,
    35000,
    40000,
    45000,
    50000,
)
# Atlassian's announcement of the Data Center end of life (docs/sources.md): expansions of
# existing subscriptions until 2028-03-30, end of life on 2029-03-28.
LAST_EXPANSION: Final = date(2028, 3, 30)
END_OF_LIFE: Final = date(2029, 3, 28)
MAX_TIERS: Final = 100
MAX_OWNER_LABELS: Final = 16
MAX_EXCLUDE_PATTERNS: Final = 100
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _ascending(tiers: tuple[int, ...]) -> tuple[int, ...]:
    # Checked here, not with min_length: pydantic would add a second, confusing line when an
    # item fails ("should have at least 1 item after validation").
    if not tiers:
        raise ValueError("at least one tier is needed")
    for lower, higher in pairwise(tiers):
        if higher <= lower:
            raise ValueError(f"tiers must be strictly ascending: {higher} follows {lower}")
    return tiers


Tiers = Annotated[
    tuple[Annotated[int, Field(gt=0, le=2**31 - 1)], ...],
    Field(max_length=MAX_TIERS),
    AfterValidator(_ascending),
]


class Cost(_Model):
    """An annual price per user tier, in one currency."""

    currency: str = Field(
        pattern=r"^[A-Z]{3}$", description="ISO 4217 code, the `currency` label value (EUR)."
    )
    annual: dict[Annotated[int, Field(gt=0)], Annotated[float, Field(ge=0)]] = Field(
        min_length=1,
        max_length=MAX_TIERS,
        description="Annual price per tier, `{500: 27000, 1000: 48000}`.",
    )

    def __hash__(self) -> int:
        return hash((self.currency, tuple(sorted(self.annual.items()))))


def _label_names(labels: dict[str, StrictStr]) -> dict[str, StrictStr]:
    for name in labels:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a Prometheus label name")
        if name.startswith("__"):
            raise ValueError(f"{name!r}: names starting with '__' are reserved by Prometheus")
        if name in RESERVED_LABELS:
            raise ValueError(f"{name!r} is a label the exporter or Prometheus sets itself")
    return labels


OwnerLabels = Annotated[
    dict[str, StrictStr], Field(max_length=MAX_OWNER_LABELS), AfterValidator(_label_names)
]


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
    return pattern


class Reclaim(_Model):
    exclude_users: tuple[Annotated[str, AfterValidator(_compiles)], ...] = Field(
        default=(),
        max_length=MAX_EXCLUDE_PATTERNS,
        description="Regular expressions matched against the whole user name (service "
        "accounts, bots, break-glass admins): matching users still hold seats but are left out "
        "of the reclaim counts (`inactive_users`, `users_never_active`) and counted in "
        "`atlassian_license_users_excluded`. Per application, the list extends the global one.",
    )


class DCSunset(_Model):
    last_expansion: date = Field(
        default=LAST_EXPANSION,
        description="Last day existing Data Center subscriptions can be expanded (Atlassian: "
        "2028-03-30).",
    )
    end_of_life: date = Field(
        default=END_OF_LIFE,
        description="Data Center end of life (Atlassian: 2029-03-28).",
    )

    @_model_validator(mode="after")
    def _in_order(self) -> DCSunset:
        if self.end_of_life < self.last_expansion:
            raise ValueError("end_of_life must not be before last_expansion")
        return self

    def timestamps(self) -> tuple[tuple[str, float], ...]:
        """(milestone, midnight UTC of the date in Unix seconds)."""
        return (
            ("last_expansion", midnight(self.last_expansion)),
            ("end_of_life", midnight(self.end_of_life)),
        )


def midnight(day: date) -> float:
    return datetime.combine(day, time(), UTC).timestamp()


def tier_above(tiers: tuple[int, ...], limit: int) -> int | None:
    """The smallest tier above `limit`; None at the top of the ladder."""
    return next((tier for tier in tiers if tier > limit), None)


def price_from(annual: tuple[tuple[int, float], ...], seats: int) -> float | None:
    """The price of the tier equal to `seats`, or else of the smallest priced tier above it."""
    return next((price for tier, price in annual if tier >= seats), None)
