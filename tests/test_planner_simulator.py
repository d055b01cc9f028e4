"""The planner's numbers over HTTP against the simulator: reclaim exclusions in a real user
scan, and group member totals read from Jira Data Center and Cloud."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.simulator import SimInstance, SimProduct, Simulator, SimUsers
from exporter.sync.poller import Poller
from tests.factories import FakeClock

NOW = 1_767_225_600.0 + 4_321.5
DAY = 86400.0
USERS = SimUsers(1_200, seed=31, epoch=NOW - 10 * DAY)
EXCLUDE = ("svc-.*", "bot-.*")

pytestmark = pytest.mark.asyncio(loop_scope="module")


def instances() -> list[SimInstance]:
    return [
        SimInstance("bb", "bitbucket", [SimProduct("bitbucket", 2000, 1000, users=USERS)]),
        SimInstance(
            "jira",
            "jira",
            [SimProduct("jira-software", 500, 431), SimProduct("jira-servicedesk", 50, 17)],
        ),
        SimInstance(
            "site",
            "jira-cloud",
            [SimProduct("jira-software", 100, 72)],
            username="admin@example.com",
            password="api-token",
        ),
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def poller() -> AsyncIterator[Poller]:
    sim = Simulator(instances(), clock=lambda: NOW)
    await sim.start()
    admin = {"basic_auth": {"username": "admin", "password": "admin"}}
    cloud = {"basic_auth": {"username": "admin@example.com", "password": "api-token"}}
    config = parse_config(
        {
            "global": {"inactive_periods": ["90d"], "reclaim": {"exclude_users": [EXCLUDE[0]]}},
            "applications": [
                {
                    "name": "bb",
                    "type": "bitbucket",
                    "reclaim": {"exclude_users": [EXCLUDE[1]]},  # extends the global list
                    "link": {"url": sim.url("bb"), **admin},
                },
                {"name": "jira", "type": "jira", "link": {"url": sim.url("jira"), **admin}},
                {"name": "site", "type": "jira-cloud", "link": {"url": sim.url("site"), **cloud}},
            ],
        }
    )
    p = Poller(resolve(config), clock=FakeClock(NOW), rng=random.Random(0))
    await p.run_due()
    yield p
    await p.close()
    await sim.stop()


async def test_excluded_service_accounts_leave_the_reclaim_counts(poller: Poller) -> None:
    state = poller.states["bb"]
    assert state.users is not None and state.users.snapshot is not None, state.users
    (got,) = state.users.snapshot.products
    seats = [u for u in USERS.users(0, USERS.count, NOW) if u.licensed and u.active]
    excluded = [u for u in seats if any(re.fullmatch(p, u.name) for p in EXCLUDE)]
    counted = [u for u in seats if u not in excluded]
    cutoff = NOW - 90 * DAY
    assert excluded, "the population has service accounts"
    # Dormant bots would have counted as inactive: the exclusion changes the reclaim number.
    assert any(u.last_active is not None and u.last_active < cutoff for u in excluded)
    assert got.licensed == len(seats)  # they still hold seats
    assert got.excluded == len(excluded)
    assert got.never_active == sum(1 for u in counted if u.last_active is None)
    inactive = sum(1 for u in counted if u.last_active is None or u.last_active < cutoff)
    assert got.inactive == (("90d", inactive),)


async def test_group_member_totals_from_jira_data_center_and_cloud(poller: Poller) -> None:
    jira = poller.states["jira"].sync.snapshot
    assert jira is not None, poller.states["jira"].sync.last_error
    assert {p.product: p.groups for p in jira.products} == {
        "jira-software": (("jira-software-users", 431), ("jira-administrators", 4)),
        "jira-servicedesk": (("jira-servicedesk-users", 17),),
    }
    site = poller.states["site"].sync.snapshot
    assert site is not None, poller.states["site"].sync.last_error
    assert site.products[0].groups == (("jira-software-users", 72), ("jira-administrators", 4))
