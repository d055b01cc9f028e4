"""Demo mode: the embedded simulator on loopback, and a config that monitors it."""

from __future__ import annotations

from typing import Any

from exporter.apptypes import TYPES
from exporter.config.load import Config, parse_config
from exporter.simulator import SimInstance, Simulator, demo_instances

# Short enough that a newcomer sees the numbers move within a minute.
DEMO_SYNC_INTERVAL = "15s"
DEMO_USERS_SYNC_INTERVAL = "1m"


async def start_demo_simulator() -> Simulator:
    simulator = Simulator(demo_instances())
    await simulator.start("127.0.0.1", 0)
    return simulator


def _applications(simulator: Simulator, instance: SimInstance) -> list[dict[str, Any]]:
    """One application per instance; one per Crowd-known application on a Crowd instance."""
    link = {
        "url": simulator.url(instance.name),
        "basic_auth": {"username": instance.username, "password": instance.password},
    }
    if instance.type != "crowd":
        return [{"name": instance.name, "type": _type_for(instance), "link": link}]
    return [
        {
            "name": app.name,
            "type": "crowd",
            "crowd_application_id": app.id,
            "crowd_application_type": app.type,
            "link": link,
        }
        for app in instance.crowd_apps
    ]


def _type_for(instance: SimInstance) -> str:
    """The application type that reads the API this simulator instance speaks."""
    return next(name for name, entry in TYPES.items() if entry.simulator == instance.type)


def demo_config(simulator: Simulator, instances: list[str] | None = None) -> Config:
    applications = [
        app
        for instance in demo_instances()
        if instances is None or instance.name in instances
        for app in _applications(simulator, instance)
    ]
    return parse_config(
        {
            "global": {
                "sync_interval": DEMO_SYNC_INTERVAL,
                "timeout": "10s",
                "users_sync_interval": DEMO_USERS_SYNC_INTERVAL,
                # The "who could be reclaimed" table has something to show.
                "user_detail": {"inactive_for": "90d", "max_users": 20},
            },
            "applications": applications,
        },
        source="(demo)",
    )
