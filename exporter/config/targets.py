"""Targets: the configuration resolved once, every override applied, frozen.

The poller syncs targets and compares old and new ones with `==` on reload; nothing reads a
global default or an override again after this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from exporter.apptypes import TYPES
from exporter.config.models import (
    ApplicationBase,
    AppsApplication,
    Link,
    ScannedApplicationBase,
)
from exporter.config.planner import DEFAULT_TIERS, Cost, DCSunset
from exporter.config.users import ScanSettings

if TYPE_CHECKING:
    from exporter.config.load import Config

T = TypeVar("T")


@dataclass(frozen=True)
class UserScanTarget:
    interval: float
    settings: ScanSettings


@dataclass(frozen=True)
class CostTarget:
    currency: str
    annual: tuple[tuple[int, float], ...]  # (tier, annual price), ascending by tier


@dataclass(frozen=True)
class AppsTarget:
    interval: float


@dataclass(frozen=True, slots=True)
class Target:
    """One application as the poller syncs it."""

    app: ApplicationBase  # the type's own model (exporter.apptypes), frozen
    interval: float
    timeout: float
    body_size_limit: int
    users: UserScanTarget | None  # None: the type has no user scan, or scans are off
    # The renewal planner, resolved like the rest: tier ladder, prices, owner labels.
    tiers: tuple[int, ...] = DEFAULT_TIERS
    cost: CostTarget | None = None
    labels: tuple[tuple[str, str], ...] = ()  # sorted by name; on every series of the app
    apps: AppsTarget | None = None  # None: the type has no UPM, or the apps sync is off

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def type(self) -> str:
        return self.app.type

    @property
    def link(self) -> Link:
        return self.app.link


@dataclass(frozen=True)
class Targets:
    """Everything the poller needs: the applications and the global limits."""

    targets: tuple[Target, ...]
    max_concurrent_syncs: int
    # (milestone, Unix seconds) of Atlassian's Data Center dates: global.dc_sunset.
    sunset: tuple[tuple[str, float], ...] = DCSunset().timestamps()

    def names(self) -> list[str]:
        return [target.name for target in self.targets]


def _users(config: Config, app: ApplicationBase) -> UserScanTarget | None:
    if TYPES[app.type].scan is None or not isinstance(app, ScannedApplicationBase):
        return None
    g = config.global_
    if not (app.user_scans or g.user_scans).enabled:
        return None
    periods = app.inactive_periods or g.inactive_periods
    exclude = g.reclaim.exclude_users + (app.reclaim.exclude_users if app.reclaim else ())
    settings = ScanSettings.of(periods, app.user_detail or g.user_detail, exclude)
    return UserScanTarget(app.users_sync_interval or g.users_sync_interval, settings)


def _cost(cost: Cost | None) -> CostTarget | None:
    return None if cost is None else CostTarget(cost.currency, tuple(sorted(cost.annual.items())))


def _apps(config: Config, app: ApplicationBase) -> AppsTarget | None:
    if TYPES[app.type].apps is None or not isinstance(app, AppsApplication):
        return None
    # The application's setting wins as a whole, as user_scans does.
    settings = app.marketplace_apps or config.global_.marketplace_apps
    return AppsTarget(settings.sync_interval) if settings.enabled else None


def interval_of(config: Config, app: ApplicationBase) -> float:
    default = TYPES[app.type].default_sync_interval
    return app.sync_interval or default or config.global_.sync_interval


def timeout_of(config: Config, app: ApplicationBase) -> float:
    return app.link.timeout or config.global_.timeout


def target(config: Config, app: ApplicationBase, shared: dict[Any, Any] | None = None) -> Target:
    """`shared` holds one object per distinct value among the targets of one resolve: most
    applications have the global settings, and 10,000 equal copies of them cost 3.5 MiB."""
    g = config.global_
    one: Callable[[T], T] = (lambda value: value) if shared is None else _one(shared)
    return Target(
        app=app,
        interval=interval_of(config, app),
        timeout=timeout_of(config, app),
        body_size_limit=g.body_size_limit,
        users=one(_users(config, app)),
        tiers=app.tiers or g.tiers,
        cost=one(_cost(app.cost or g.cost)),
        labels=one(tuple(sorted((g.labels | (app.labels or {})).items()))),
        apps=one(_apps(config, app)),
    )


def _one(shared: dict[Any, Any]) -> Callable[[T], T]:
    def one(value: T) -> T:
        return value if value is None else shared.setdefault(value, value)

    return one


def resolve(config: Config) -> Targets:
    shared: dict[Any, Any] = {}
    return Targets(
        tuple(target(config, app, shared) for app in config.applications),
        config.global_.max_concurrent_syncs,
        config.global_.dc_sunset.timestamps(),
    )
