"""Demo mode: the embedded simulator on loopback, and a config that monitors it."""

from __future__ import annotations

from exporter.config import Config, parse_config
from exporter.simulator import Simulator, demo_instances

# Short enough that a newcomer sees the numbers move within a minute.
DEMO_SYNC_INTERVAL = "15s"


async def start_demo_simulator() -> Simulator:
    simulator = Simulator(demo_instances())
    await simulator.start("127.0.0.1", 0)
    return simulator


def demo_config(simulator: Simulator, instances: list[str] | None = None) -> Config:
    applications = [
        {
            "name": instance.name,
            "type": instance.type,
            "link": {
                "url": simulator.url(instance.name),
                "basic_auth": {"username": instance.username, "password": instance.password},
            },
        }
        for instance in demo_instances()
        if instances is None or instance.name in instances
    ]
    return parse_config(
        {
            "global": {"sync_interval": DEMO_SYNC_INTERVAL, "timeout": "10s"},
            "applications": applications,
        },
        source="(demo)",
    )
