"""The exporter's poller against the simulator over real loopback HTTP, with faults injected."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from exporter.config.load import Config, parse_config
from exporter.config.targets import resolve
from exporter.simulator import SimInstance, Simulator, demo_instances
from exporter.sync.poller import Poller
from tests import certs
from tests.factories import FakeClock

APPS = {
    "jira": "jira-prod",
    "confluence": "confluence-prod",
    "bitbucket": "bitbucket-prod",
    # The Crowd instance's Jira application (id 3), monitored under the instance's own name.
    "crowd": "crowd",
    "jira-cloud": "jira-cloud",
}
CROWD_KEYS = {"crowd_application_id": 3, "crowd_application_type": "jira"}
# Every secret field carries a canary; tests grep every output for this prefix.
CANARY = "CANARY-9f3a1c"


def canary_instances() -> list[SimInstance]:
    wanted = set(APPS.values())
    return [
        dataclasses.replace(i, password=f"{CANARY}-pw-{i.name}", token=f"{CANARY}-tok-{i.name}")
        for i in demo_instances()
        if i.name in wanted
    ]


def link(sim: Simulator, instance: SimInstance, secret_dir: Path) -> dict[str, Any]:
    url = sim.url(instance.name)
    # Each application uses a different secret field, so all of them meet every fault.
    if instance.type == "jira":
        return {
            "url": url,
            "basic_auth": {"username": instance.username, "password": instance.password},
        }
    if instance.type == "confluence":
        secret = secret_dir / f"{instance.name}.token"
        secret.write_text(instance.token or "")
        return {"url": url, "authorization": {"credentials_file": str(secret)}}
    secret = secret_dir / f"{instance.name}.password"
    secret.write_text(instance.password)
    return {"url": url, "basic_auth": {"username": instance.username, "password_file": str(secret)}}


class Rig:
    def __init__(self, sim: Simulator, config: Config, clock: FakeClock) -> None:
        self.sim = sim
        self.clock = clock
        self.config = config
        self.poller = Poller(resolve(config), clock=clock)

    async def sync(self, name: str) -> None:
        await self.poller.sync(name)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    instances = canary_instances()
    sim = Simulator(instances)
    await sim.start()
    apps = [
        {"name": i.name, "type": i.type, "link": link(sim, i, tmp_path)}
        | (CROWD_KEYS if i.type == "crowd" else {})
        for i in instances
    ]
    config = parse_config(
        {
            "global": {"sync_interval": "1m", "timeout": "1s", "body_size_limit": "1MiB"},
            "applications": apps,
        }
    )
    rig = Rig(sim, config, FakeClock())
    yield rig
    await rig.poller.close()
    await sim.stop()


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made for the test with openssl."""
    return certs.self_signed(tmp_path_factory.mktemp("tls"))


async def start_tls(sim: Simulator, cert: Path, key: Path) -> tuple[web.AppRunner, str]:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    runner = web.AppRunner(sim.make_app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"https://127.0.0.1:{port}"
