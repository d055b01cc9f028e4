"""The benchmark's applications: generated simulator instances and the exporter config for them.

The simulator process is started with `--instances MAX --seed 0`; `generated_instances` with
the same seed gives the same names, types, products and credentials here, so the first N of
them are N mixed jira/confluence/bitbucket applications served by that process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from exporter.simulator import SimInstance, generated_instances
from exporter.sources import bitbucket, confluence, jira

SEED = 0
LATENCY_MS = 50


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
            return [
                [
                    confluence.USER_COUNT,
                    confluence.MAX_USERS,
                    confluence.REMAINING,
                    confluence.DETAILS,
                ]
            ]
        return [[bitbucket.LICENSE]]

    def requests(self) -> int:
        return sum(len(paths) for paths in self.rounds())


def apps(base_url: str, total: int) -> list[App]:
    return [_app(base_url, inst) for inst in generated_instances(total, SEED)]


def _app(base_url: str, inst: SimInstance) -> App:
    return App(
        inst.name,
        inst.type,
        f"{base_url}/{inst.name}",
        inst.username,
        inst.password,
        tuple(p.key for p in inst.products),
    )


def config_dict(selected: list[App], max_concurrent_syncs: int = 16) -> dict[str, Any]:
    """The exporter configuration (as parsed YAML) monitoring `selected`."""
    return {
        "global": {"max_concurrent_syncs": max_concurrent_syncs, "sync_interval": "5m"},
        "applications": [
            {
                "name": app.name,
                "type": app.type,
                "link": {
                    "url": app.url,
                    "basic_auth": {"username": app.username, "password": app.password},
                },
            }
            for app in selected
        ],
    }


def sample(selected: list[App], step: int) -> list[App]:
    """Every `step`-th application; with step prime to 3 the type mix stays even."""
    return selected[::step]
