"""What an application type declares: its configuration model, its source, its optional user
scan, and the simulator instance kind that serves it in tests and demo mode."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from exporter.config.models import ApplicationBase
from exporter.config.users import ScanSettings
from exporter.sources.http import LinkClient
from exporter.sources.model import AppsSnapshot, Snapshot, UsersSnapshot

A = TypeVar("A", bound=ApplicationBase)

Fetch = Callable[[LinkClient, A], Awaitable[Snapshot]]
# (client, application, what to count, now in Unix seconds) -> counts per product.
Scan = Callable[[LinkClient, A, ScanSettings, float], Awaitable[UsersSnapshot]]
# (client, application) -> the user-installed Marketplace apps and their licenses (UPM).
Apps = Callable[[LinkClient, A], Awaitable[AppsSnapshot]]


@dataclass(frozen=True)
class AppType(Generic[A]):
    name: str  # the `type` key of the configuration
    model: type[A]
    fetch: Fetch[A]
    scan: Scan[A] | None = None
    simulator: str = ""  # the simulator's instance type that speaks this API
    apps: Apps[A] | None = None  # the Marketplace apps source, for types with UPM
    # A Cloud product: no Data Center sunset (the rules' expansion deadline skips it).
    cloud: bool = False
    # The sync interval of this type's applications without their own sync_interval, instead
    # of the global one: for a sync that reads every user (atlassian-org), not a few counts.
    default_sync_interval: float | None = None

    def __post_init__(self) -> None:
        if self.scan is not None and not issubclass(self.model, _scanned()):
            raise TypeError(f"type {self.name}: a user scan needs a ScannedApplicationBase model")
        if self.apps is not None and not issubclass(self.model, _with_apps()):
            raise TypeError(f"type {self.name}: Marketplace apps need an AppsApplication model")


def _scanned() -> type[ApplicationBase]:
    from exporter.config.models import ScannedApplicationBase

    return ScannedApplicationBase


def _with_apps() -> type[object]:
    from exporter.config.models import AppsApplication

    return AppsApplication
