"""What an application type declares: its configuration model, its source, its optional user
scan, and the simulator instance kind that serves it in tests and demo mode."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from exporter.config.models import ApplicationBase
from exporter.config.users import ScanSettings
from exporter.sources.http import LinkClient
from exporter.sources.model import Snapshot, UsersSnapshot

A = TypeVar("A", bound=ApplicationBase)

Fetch = Callable[[LinkClient, A], Awaitable[Snapshot]]
# (client, application, what to count, now in Unix seconds) -> counts per product.
Scan = Callable[[LinkClient, A, ScanSettings, float], Awaitable[UsersSnapshot]]


@dataclass(frozen=True)
class AppType(Generic[A]):
    name: str  # the `type` key of the configuration
    model: type[A]
    fetch: Fetch[A]
    scan: Scan[A] | None = None
    simulator: str = ""  # the simulator's instance type that speaks this API

    def __post_init__(self) -> None:
        if self.scan is not None and not issubclass(self.model, _scanned()):
            raise TypeError(f"type {self.name}: a user scan needs a ScannedApplicationBase model")


def _scanned() -> type[ApplicationBase]:
    from exporter.config.models import ScannedApplicationBase

    return ScannedApplicationBase
