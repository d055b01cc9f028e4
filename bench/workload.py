"""The benchmark's applications, as the simulator process lists them, and the exporter config
monitoring them. Read from the process (`/-/sim/instances`): the bench never builds the
simulator's instances itself, and the exporter side never imports the simulator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bench.procs import Proc
from exporter.sources import bitbucket, confluence, jira


@dataclass(frozen=True)
class App:
    name: str
    type: str
    url: str
    username: str
    password: str
    products: tuple[str, ...]  # Jira role keys (known up front only to the lower bound)
    crowd: dict[str, Any] | None = None  # on a Crowd instance: the application it reports

    def rounds(self) -> list[list[str]]:
        """The paths the exporter's source for this type fetches, round by round.

        Paths come from the sources' own constants; requests of one round go out together.
        """
        if self.type == "jira":
            return [[jira.ROLES], [jira.LICENSE.format(key=key) for key in self.products]]
        if self.type == "confluence":
            c = confluence
            return [[c.USER_COUNT, c.MAX_USERS, c.REMAINING, c.DETAILS]]
        return [[bitbucket.LICENSE]]

    def requests(self) -> int:
        return sum(len(paths) for paths in self.rounds())

    def entry(self) -> dict[str, Any]:
        """This application in the exporter's configuration (as parsed YAML)."""
        login = {"username": self.username, "password": self.password}
        out = {"name": self.name, "type": self.type, "link": {"url": self.url, "basic_auth": login}}
        if self.crowd is not None:
            out.update(
                crowd_application_id=self.crowd["id"], crowd_application_type=self.crowd["type"]
            )
        return out


def apps(sim: Proc, total: int | None = None) -> dict[str, App]:
    """The simulator's first `total` instances by name; a Crowd instance is listed once for
    each application it knows (by that application's name), not by its own."""
    status, body = sim.get("/-/sim/instances", timeout=30)
    if status != 200:
        raise RuntimeError(f"simulator /-/sim/instances answered {status}")
    out = {}
    for inst in json.loads(body)[:total]:
        login = (inst["url"], inst["username"], inst["password"], tuple(inst["products"]))
        for crowd in inst["crowd_apps"]:
            out[crowd["name"]] = App(crowd["name"], "crowd", *login, crowd=crowd)
        if not inst["crowd_apps"]:
            out[inst["name"]] = App(inst["name"], inst["type"], *login)
    return out


def config_dict(selected: list[App], max_concurrent_syncs: int = 16, **glob: Any) -> dict[str, Any]:
    """The exporter configuration monitoring `selected`; `glob` adds to its `global`."""
    glob = {"max_concurrent_syncs": max_concurrent_syncs, "sync_interval": "5m", **glob}
    return {"global": glob, "applications": [a.entry() for a in selected]}
