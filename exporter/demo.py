"""Demo mode: the embedded simulator on loopback, and a config that monitors it."""

from __future__ import annotations

from typing import Any

from exporter.apptypes import TYPES
from exporter.config.load import Config, parse_config
from exporter.simulator import SimInstance, Simulator, demo_instances

# Short enough that a newcomer sees the numbers move within a minute.
DEMO_SYNC_INTERVAL = "15s"
DEMO_USERS_SYNC_INTERVAL = "1m"
# The renewal planner has something to show: owner teams, illustrative prices (not Atlassian's
# list prices) and the simulator's service accounts left out of the reclaim counts.
DEMO_TEAMS = {"confluence-prod": "docs", "confluence-legacy": "docs", "confluence-emea": "docs"}
DEMO_PLANNER: dict[str, Any] = {
    "labels": {"team": "tools"},
    "cost": {"currency": "EUR", "annual": {500: 27000, 1000: 48000, 2000: 84000}},
    "reclaim": {"exclude_users": ["svc-.*", "bot-.*"]},
}


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
    if instance.type == "atlassian-org":
        # One application per Cloud site, each with the organization's API key. The type
        # syncs hourly by default (each sync reads every account); the demo's 600 are quick.
        key = {"type": "Bearer", "credentials": instance.token}
        sites = dict.fromkeys(p.site for p in instance.products)
        return [
            {
                "name": "cloud-" + site.split(".")[0],
                "type": _type_for(instance),
                "org_id": instance.org_id,
                "site": site,
                "sync_interval": DEMO_SYNC_INTERVAL,
                "link": {"url": link["url"], "authorization": key},
            }
            for site in sites
        ]
    if instance.type != "crowd":
        apps: list[dict[str, Any]] = [
            {"name": instance.name, "type": _type_for(instance), "link": link}
        ]
    else:
        apps = [
            {
                "name": app.name,
                "type": "crowd",
                "crowd_application_id": app.id,
                "crowd_application_type": app.type,
                "link": link,
            }
            for app in instance.crowd_apps
        ]
    for app in apps:
        if app["name"] in DEMO_TEAMS:
            app["labels"] = {"team": DEMO_TEAMS[app["name"]]}
    return apps


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
                **DEMO_PLANNER,
            },
            "applications": applications,
        },
        source="(demo)",
    )
