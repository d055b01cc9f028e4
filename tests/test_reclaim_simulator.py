"""Reclaimable-seat numbers are right to the user: the exporter scans the simulator over HTTP,
and the expected counts are computed here, independently, from the simulator's user lists."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import AsyncIterator, Iterable

import pytest
import pytest_asyncio

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.simulator import CrowdApp, SimInstance, SimProduct, Simulator, SimUser, SimUsers
from exporter.simulator.demo import crowd_product
from exporter.sources.model import ProductUsers
from exporter.sync.poller import Poller
from tests.factories import FakeClock

NOW = 1_767_225_600.0 + 12_345.678  # a clock between whole seconds, as in life
DAY = 86400.0
PERIODS = ("30d", "90d", "180d")
DETAIL_AFTER, DETAIL_MAX = 90 * DAY, 25


def expected(product: str, users: Iterable[SimUser]) -> ProductUsers:
    """The reference computation: licensed, active users; activity as sent (whole ms)."""
    seats = [u for u in users if u.licensed and u.active]
    last = {u.name: None if u.last_active is None else round(u.last_active * 1000) / 1000
            for u in seats}  # fmt: skip
    periods = {"30d": 30 * DAY, "90d": 90 * DAY, "180d": 180 * DAY}
    inactive = tuple(
        (p, sum(1 for t in last.values() if t is None or t < NOW - periods[p])) for p in PERIODS
    )
    candidates = sorted(
        (0.0 if t is None else t, name)
        for name, t in last.items()
        if "@" not in name and (t is None or t < NOW - DETAIL_AFTER)
    )
    return ProductUsers(
        product,
        len(seats),
        sum(1 for t in last.values() if t is None),
        inactive,
        tuple((name, t) for t, name in candidates),
    )


def cap(products: list[ProductUsers]) -> list[ProductUsers]:
    """The detail cap is per application: keep the DETAIL_MAX oldest across its products."""
    kept = sorted((t, n, p.product) for p in products for n, t in p.detail)[:DETAIL_MAX]
    return [
        ProductUsers(
            p.product,
            p.licensed,
            p.never_active,
            p.inactive,
            tuple((n, t) for t, n, product in kept if product == p.product),
        )
        for p in products
    ]


BB = SimUsers(5_130, seed=21, epoch=NOW - 3 * DAY)
CONF = SimUsers(2_047, seed=22, epoch=NOW)
SOFTWARE = SimUsers(3_001, seed=23, epoch=NOW - 40 * DAY)
DESK = SimUsers(150, seed=24, epoch=NOW)


def instances() -> list[SimInstance]:
    bitbucket = SimInstance("bb", "bitbucket", [SimProduct("bitbucket", 5000, 4400, users=BB)])
    bitbucket.page_cap = 333  # the server caps the exporter's limit of 1000
    confluence = SimInstance(
        "wiki", "confluence", [SimProduct("confluence", None, 1, users=CONF)], version="9.4.1"
    )
    crowd = SimInstance(
        "crowd",
        "crowd",
        [
            crowd_product("jira-software", 3, 3000, SOFTWARE),
            crowd_product("jira-servicedesk", 3, 200, DESK),
        ],
        crowd_apps=[CrowdApp(3, "jira", "jira-emea")],
    )
    return [bitbucket, confluence, crowd]


# One scan of all three for the module: the populations are large enough to take a moment.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def poller() -> AsyncIterator[Poller]:
    sim = Simulator(instances(), clock=lambda: NOW)
    await sim.start()
    link = {"basic_auth": {"username": "admin", "password": "admin"}}
    config = parse_config(
        {
            "global": {
                "inactive_periods": list(PERIODS),
                "user_detail": {"inactive_for": "90d", "max_users": DETAIL_MAX},
            },
            "applications": [
                {"name": "bb", "type": "bitbucket", "link": {"url": sim.url("bb"), **link}},
                {"name": "wiki", "type": "confluence", "link": {"url": sim.url("wiki"), **link}},
                {
                    "name": "jira-emea",
                    "type": "crowd",
                    "crowd_application_id": 3,
                    "crowd_application_type": "jira",
                    "link": {"url": sim.url("crowd"), **link},
                },
            ],
        }
    )
    rng = random.Random(0)
    p = Poller(resolve(config), clock=FakeClock(NOW), rng=rng)
    await p.run_due()
    yield p
    await p.close()
    await sim.stop()


def scanned(p: Poller, name: str) -> list[ProductUsers]:
    state = p.states[name]
    assert state.sync.up is True, state.sync.last_error
    assert state.users is not None and state.users.up is True, state.users
    assert state.users.snapshot is not None
    return list(state.users.snapshot.products)


async def test_bitbucket_join_of_licensed_users_and_last_authentication(poller: Poller) -> None:
    got = scanned(poller, "bb")
    want = cap([expected("bitbucket", BB.users(0, BB.count, NOW))])
    assert got == want
    # Not trivially zero: the population has every kind of user in it.
    (product,) = got
    assert product.licensed == 51 * 86 + 30 and product.never_active > 100
    assert [n for _, n in product.inactive] == sorted(
        (n for _, n in product.inactive), reverse=True
    )


async def test_confluence_active_users(poller: Poller) -> None:
    assert scanned(poller, "wiki") == cap(
        [expected("confluence", CONF.licensed(0, CONF.licensed_count, NOW))]
    )


async def test_crowd_licensed_users_per_jira_type(poller: Poller) -> None:
    scan = scanned(poller, "jira-emea")
    # Crowd's per-directory totals add up to the users the scan counted.
    assert [sum(n for _, n in p.by_directory) for p in scan] == [p.licensed for p in scan]
    got = [dataclasses.replace(p, by_directory=()) for p in scan]
    want = cap(
        [
            expected("jira-software", SOFTWARE.licensed(0, SOFTWARE.licensed_count, NOW)),
            expected("jira-servicedesk", DESK.licensed(0, DESK.licensed_count, NOW)),
        ]
    )
    assert got == want
    # Crowd's summary total is the length of the list the scan read.
    snapshot = poller.states["jira-emea"].sync.snapshot
    assert snapshot is not None
    assert [p.seats_used for p in snapshot.products] == [p.licensed for p in got]
