"""The Crowd source against the simulator's Crowd: several directories, each status value, and
a data version that moves under a user scan."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from exporter.config.load import Application, parse_config
from exporter.simulator import CrowdApp, SimInstance, Simulator, SimUsers
from exporter.simulator.demo import crowd_product
from exporter.sources import crowd
from exporter.sources.http import LinkClient, SSLContexts, build_client
from exporter.sources.model import CrowdData, SourceError
from exporter.sources.users import ScanSettings

NOW = 1_767_225_600.0
SETTINGS = ScanSettings((("30d", 30 * 86400.0),))
USERS = SimUsers(300, seed=9, epoch=NOW)
DIRECTORIES = (("1", "Local", True), ("2", "LDAP", False), ("3", "AD", False))
APPS = {
    # id: (status, version moves after these searches)
    7: ("PRESENT", ()),
    8: ("NOT_CONFIGURED", ()),
    9: ("LOADING", ()),
    10: ("PRESENT", (1,)),  # moves once, during the first pass
    11: ("PRESENT", (1, 5)),  # moves in both passes (4 searches each: users, 3 directories)
}


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    instance = SimInstance(
        "crowd",
        "crowd",
        [crowd_product("bitbucket", ident, 500, USERS) for ident in APPS],
        crowd_apps=[
            CrowdApp(
                ident,
                "bitbucket",
                f"bb-{ident}",
                status=status,
                directories=DIRECTORIES,
                version_moves_after_searches=moves,
            )
            for ident, (status, moves) in APPS.items()
        ],
    )
    simulator = Simulator([instance], clock=lambda: NOW)
    await simulator.start()
    yield simulator
    await simulator.stop()


def application(sim: Simulator, ident: int) -> Application:
    link = {"url": sim.url("crowd"), "basic_auth": {"username": "admin", "password": "admin"}}
    return parse_config(
        {
            "applications": [
                {
                    "name": f"bb-{ident}",
                    "type": "crowd",
                    "crowd_application_id": ident,
                    "crowd_application_type": "bitbucket",
                    "link": link,
                }
            ]
        }
    ).applications[0]


def client(app: Application) -> LinkClient:
    return LinkClient(build_client(app.link, SSLContexts(), 5.0), app.link, 5.0, 10 * 2**20)


async def test_seats_per_directory_add_up_to_the_seats_used(sim: Simulator) -> None:
    app = application(sim, 7)
    snapshot = await crowd.fetch(client(app), app)
    (product,) = snapshot.products
    assert snapshot.crowd == (CrowdData("bitbucket", "PRESENT", snapshot.crowd[0].version),)
    assert snapshot.crowd_directories == 3
    (users,) = (await crowd.scan_users(client(app), app, SETTINGS, NOW)).products
    assert [name for name, _ in users.by_directory] == ["Local", "LDAP", "AD"]
    assert sum(n for _, n in users.by_directory) == product.seats_used == users.licensed


@pytest.mark.parametrize(("ident", "status"), [(8, "NOT_CONFIGURED"), (9, "LOADING")])
async def test_no_data_yet_is_a_status_without_seats(
    sim: Simulator, ident: int, status: str
) -> None:
    app = application(sim, ident)
    snapshot = await crowd.fetch(client(app), app)
    assert (snapshot.products, snapshot.crowd) == ((), (CrowdData("bitbucket", status),))
    assert (await crowd.scan_users(client(app), app, SETTINGS, NOW)).products == ()


async def test_a_scan_restarts_once_when_crowd_moves_on(sim: Simulator) -> None:
    app = application(sim, 10)
    (product,) = (await crowd.scan_users(client(app), app, SETTINGS, NOW)).products
    assert product.licensed == USERS.licensed_count  # one pass counted, not two


async def test_a_scan_fails_when_crowd_moves_twice(sim: Simulator) -> None:
    app = application(sim, 11)
    with pytest.raises(SourceError, match="moved twice during one user scan") as exc:
        await crowd.scan_users(client(app), app, SETTINGS, NOW)
    assert exc.value.reason == "invalid_response"
