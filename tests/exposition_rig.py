"""A collector over hand-built states, with its registry and incremental renderer side by side,
and the two exposition formats: shared by the exposition tests.
"""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST as OM_TYPE

from exporter.serve.collector import LicenseCollector, ReloadStatus
from exporter.serve.render import Encoder, IncrementalRenderer
from exporter.sources.model import (
    AppLicense,
    AppsSnapshot,
    MarketplaceApp,
    ProductLicense,
    ProductUsers,
    UsersSnapshot,
)
from exporter.sync.poller import AppState
from tests.factories import FakeClock
from tests.states import NOW, apps_schedule, state, users_state

TEXT = choose_encoder("")
OPENMETRICS = choose_encoder(OM_TYPE)
FORMATS = [pytest.param(TEXT, id="text"), pytest.param(OPENMETRICS, id="openmetrics")]


class Rig:
    """States, a clock and a reload status behind one collector, registry and renderer."""

    def __init__(self, *states: AppState) -> None:
        self.states = {s.name: s for s in states}
        self.clock = FakeClock(NOW)
        self.reload = ReloadStatus(True, NOW - 100)
        self.collector = LicenseCollector(
            lambda: self.states, self.clock, reload_status=lambda: self.reload
        )
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self.collector)
        self.renderer = IncrementalRenderer(self.collector)

    def check(self, fmt: tuple[Encoder, str]) -> bytes:
        encoder, content_type = fmt
        incremental = self.renderer(encoder, content_type)
        assert incremental.decode() == encoder(self.registry).decode()
        return incremental


def jira(name: str, used: int = 95) -> AppState:
    return state(
        name,
        "jira",
        ProductLicense("jira-software", used, 100, 100 - used, expiry=NOW + 86400),
        ProductLicense("jira-core", 3, None, None, license_type="COMMERCIAL", evaluation=False),
    )


def bitbucket(name: str) -> AppState:
    users = UsersSnapshot(
        (ProductUsers("bitbucket", 40, 3, (("30d", 11), ("90d", 5)), (('o"d\\\nx', 1.6e9),)),)
    )
    return state(
        name, "bitbucket", ProductLicense("bitbucket", 40, 50, 10), users=users_state(users)
    )


APPS = AppsSnapshot(
    (
        MarketplaceApp(
            "com.x.sr", 'Script"Runner', "8", True, AppLicense("COMMERCIAL", True, False, 500)
        ),
        MarketplaceApp("com.x.free", "Free", "1", True, None),
    )
)


def rig() -> Rig:
    a = jira("jira-a", 12)
    a.apps = apps_schedule(APPS)
    return Rig(jira("jira-b"), bitbucket("bb"), a)
