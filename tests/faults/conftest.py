"""Fixtures for the fault tests: the rig, on a short deadline, and a self-signed certificate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from exporter.simulator import Simulator
from exporter.sources.http import SSLContexts
from tests import certs
from tests.factories import FakeClock, MakeConfig
from tests.faults.rig import CROWD_KEYS, Rig, canary_instances, link


@pytest.fixture
async def rig(
    tmp_path: Path, clock: FakeClock, config_factory: MakeConfig, ssl_contexts: SSLContexts
) -> AsyncIterator[Rig]:
    instances = canary_instances()
    # The faults hold requests past the rig's deadline: stop() need not wait for them.
    sim = Simulator(instances, shutdown_timeout=0.05)
    await sim.start()
    apps = [
        {"name": i.name, "type": i.type, "link": link(sim, i, tmp_path)}
        | (CROWD_KEYS if i.type == "crowd" else {})
        for i in instances
    ]
    # A deadline well past a loopback sync, well short of the slow and drip faults (tests/faults/
    # rig.py): a timeout fault costs a fraction of a second, not a second. 300 ms was too close:
    # a good Crowd sync on a machine running 2x slower under the whole suite took longer.
    config = config_factory(*apps, sync_interval="1m", timeout="600ms", body_size_limit="1MiB")
    rig = Rig(sim, config, clock, ssl_contexts)
    yield rig
    await rig.poller.close()
    await sim.stop()


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made for the test with openssl."""
    return certs.self_signed(tmp_path_factory.mktemp("tls"))
