"""The benchmark's applications: simulator instances and the exporter config for them.

The simulator process is started with `--instances MAX` (seed 0); `generated_instances` with
the same seed gives the same names, types, products and credentials here, so the first N of
them are N mixed jira/confluence/bitbucket applications served by that process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.simulator import SimInstance, generated_instances
from exporter.sources import bitbucket, confluence, jira


@dataclass(frozen=True)
class App:
    name: str
    type: str
    url: str
    username: str
    password: str
    products: tuple[str, ...]  # Jira role keys (known up front only to the lower bound)

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

    def entry(self, **keys: Any) -> dict[str, Any]:
        """This application in the exporter's configuration (as parsed YAML)."""
        login = {"username": self.username, "password": self.password}
        link = {"url": self.url, "basic_auth": login}
        return {"name": self.name, "type": self.type, **keys, "link": link}


def app(base_url: str, inst: SimInstance, name: str = "", kind: str = "") -> App:
    """The application monitoring `inst` (a Crowd instance: one of its `name`d apps)."""
    products = tuple(p.key for p in inst.products)
    url = f"{base_url}/{inst.name}"
    return App(name or inst.name, kind or inst.type, url, inst.username, inst.password, products)


def apps(base_url: str, total: int) -> list[App]:
    return [app(base_url, inst) for inst in generated_instances(total)]


def config_dict(selected: list[App], max_concurrent_syncs: int = 16, **glob: Any) -> dict[str, Any]:
    """The exporter configuration monitoring `selected`; `glob` adds to its `global`."""
    glob = {"max_concurrent_syncs": max_concurrent_syncs, "sync_interval": "5m", **glob}
    return {"global": glob, "applications": [a.entry() for a in selected]}
