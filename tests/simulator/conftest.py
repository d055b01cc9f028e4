"""Fixtures for the simulator tests: a hand-driven clock and an in-process client."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from exporter.simulator import SimInstance, SimProduct, Simulator
from exporter.simulator.model import DAY

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ADMIN = basic("admin", "admin")
VIEWER = basic("viewer", "viewer")
WRONG = basic("admin", "wrong")


def jira_instance(name: str = "jira-a", **kw: Any) -> SimInstance:
    products = [
        SimProduct("jira-software", 500, 430, amplitude=10, period_seconds=3600,
                   trend_per_day=2, expiry=T0 + 30 * DAY, maintenance_expiry=T0 + 60 * DAY,
                   created=T0 - 335 * DAY, sen="SEN-1"),
        SimProduct("jira-servicedesk", 50, 45, expiry=T0 + 200 * DAY, sen="SEN-2"),
        SimProduct("jira-core", None, 120, sen="SEN-3"),
    ]  # fmt: skip
    return SimInstance(name, "jira", products, token="pat-jira", **kw)


def confluence_instance(
    name: str = "conf-a", limit: int | None = 500, version: str = "8.5.9"
) -> SimInstance:
    product = SimProduct("confluence", limit, 452, expiry=T0 + 365 * DAY,
                         maintenance_expiry=T0 + 25 * DAY, sen="SEN-4")  # fmt: skip
    return SimInstance(name, "confluence", [product], version=version, token="pat-conf")


def bitbucket_instance(
    name: str = "bb-a", limit: int | None = 100, **product_kw: Any
) -> SimInstance:
    kw: dict[str, Any] = {
        "expiry": T0 + 12 * DAY + 3600,
        "maintenance_expiry": T0 + 12 * DAY,
        "grace_period_end": T0 + 42 * DAY,
        "created": T0 - 340 * DAY,
        "sen": "SEN-5",
    }
    kw.update(product_kw)
    product = SimProduct("bitbucket", limit, 88, **kw)
    return SimInstance(name, "bitbucket", [product], token="pat-bb")


SimClient = tuple[Simulator, TestClient[web.Request, web.Application]]
MakeClient = Callable[..., Awaitable[SimClient]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_client(clock: Clock) -> AsyncIterator[MakeClient]:
    """Start a simulator in-process (aiohttp TestServer) and return it with a client."""
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(instances: Iterable[SimInstance], latency: float = 0.0) -> SimClient:
        sim = Simulator(instances, clock=clock, latency=latency)
        client: TestClient[web.Request, web.Application] = TestClient(TestServer(sim.make_app()))
        await client.start_server()
        clients.append(client)
        return sim, client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def estate(make_client: MakeClient) -> SimClient:
    """One instance of each type with exact, clock-driven numbers."""
    return await make_client([jira_instance(), confluence_instance(), bitbucket_instance()])
