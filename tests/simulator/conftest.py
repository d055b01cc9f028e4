"""Fixtures for the simulator tests: an in-process simulator and client, on the root clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from exporter.simulator import SimInstance, Simulator
from tests.factories import FakeClock
from tests.simulator.instances import (
    MakeClient,
    SimClient,
    bitbucket_instance,
    confluence_instance,
    jira_instance,
)


@pytest.fixture
async def make_client(clock: FakeClock) -> AsyncIterator[MakeClient]:
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
