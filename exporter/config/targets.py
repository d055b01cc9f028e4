"""Targets: the configuration resolved once, every override applied, frozen.

The poller syncs targets and compares old and new ones with `==` on reload; nothing reads a
global default or an override again after this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from exporter.apptypes import TYPES
from exporter.config.models import ApplicationBase, Link, ScannedApplicationBase
from exporter.config.users import ScanSettings

if TYPE_CHECKING:
    from exporter.config.load import Config


@dataclass(frozen=True)
class UserScanTarget:
    interval: float
    settings: ScanSettings


@dataclass(frozen=True)
class Target:
    """One application as the poller syncs it."""

    app: ApplicationBase  # the type's own model (exporter.apptypes), frozen
    interval: float
    timeout: float
    body_size_limit: int
    users: UserScanTarget | None  # None: the type has no user scan, or scans are off

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

    def names(self) -> list[str]:
        return [target.name for target in self.targets]


def _users(config: Config, app: ApplicationBase) -> UserScanTarget | None:
    if TYPES[app.type].scan is None or not isinstance(app, ScannedApplicationBase):
        return None
    g = config.global_
    if not (app.user_scans or g.user_scans).enabled:
        return None
    periods = app.inactive_periods or g.inactive_periods
    settings = ScanSettings.of(periods, app.user_detail or g.user_detail)
    return UserScanTarget(app.users_sync_interval or g.users_sync_interval, settings)


def target(config: Config, app: ApplicationBase) -> Target:
    g = config.global_
    return Target(
        app=app,
        interval=app.sync_interval or g.sync_interval,
        timeout=app.link.timeout or g.timeout,
        body_size_limit=g.body_size_limit,
        users=_users(config, app),
    )


def resolve(config: Config) -> Targets:
    return Targets(
        tuple(target(config, app) for app in config.applications),
        config.global_.max_concurrent_syncs,
    )
