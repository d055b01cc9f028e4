"""An Atlassian organization through the poller and the simulator over HTTP: counts right to
the account (computed here from the simulator's own accounts), and a 429 part-way through a
scan that the next attempt, no sooner than asked, resumes at the refused page."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.simulator import Simulator
from exporter.simulator.demo import org_instance
from exporter.simulator.org_users import OrgProduct, OrgUsers
from exporter.sources.model import ProductUsers
from exporter.sync.poller import Poller
from tests.factories import FakeClock

NOW = 1_767_225_600.0 + 12_345.678
DAY = 86400.0
ORG, KEY = "0c9d8e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f", "org-api-key"
SITE, OTHER = "acme.atlassian.net", "acme-labs.atlassian.net"
USERS = OrgUsers(
    1_234,
    (
        OrgProduct(SITE, "jira-software", 0.7),
        OrgProduct(SITE, "confluence", 0.5),
        OrgProduct(OTHER, "jira-software", 0.3),
    ),
    seed=5,
    epoch=NOW - 10 * DAY,
)
PAGES = math.ceil(USERS.count / 50)  # 25
PERIODS = {"30d": 30 * DAY, "90d": 90 * DAY}


def expected() -> list[ProductUsers]:
    """The reference: billable, active accounts with the product on the site, by its activity."""
    out = []
    for key in ("confluence", "jira-software"):
        seen: list[float | None] = []
        for user in USERS.users(0, USERS.count, NOW):
            if user.status != "active" or not user.billable:
                continue
            for access in user.access:
                if (access.product.site, access.product.key) == (SITE, key):
                    last = access.last_active
                    seen.append(None if last is None else round(last * 1000) / 1000)
        inactive = tuple(
            (p, sum(1 for t in seen if t is None or t < NOW - s)) for p, s in PERIODS.items()
        )
        out.append(ProductUsers(key, len(seen), seen.count(None), inactive))
    return out


def config(url: str, **app: Any) -> dict[str, Any]:
    return {
        "global": {"inactive_periods": list(PERIODS)},
        "applications": [
            {
                "name": "cloud-acme",
                "type": "atlassian-org",
                "org_id": ORG,
                "site": f"https://{SITE}/",
                "link": {"url": url, "authorization": {"credentials": KEY}},
                **app,
            }
        ],
    }


@pytest_asyncio.fixture
async def clock() -> FakeClock:
    return FakeClock(NOW)


async def started(clock: FakeClock, rate_limit: int = 0) -> Simulator:
    instance = org_instance("org", ORG, USERS, token=KEY, rate_limit=rate_limit, rate_window=600.0)
    sim = Simulator([instance], clock=clock)
    await sim.start()
    return sim


@pytest_asyncio.fixture
async def clean(clock: FakeClock) -> AsyncIterator[Poller]:
    sim = await started(clock)
    poller = Poller(resolve(parse_config(config(sim.url("org")))), clock=clock)
    await poller.run_due()
    yield poller
    await poller.close()
    await sim.stop()


def cursors(sim: Simulator) -> list[str]:
    return [r.query for r in sim.requests("org") if r.path.endswith("/users")]


async def test_seats_and_inactive_users_of_one_site(clean: Poller) -> None:
    state = clean.states["cloud-acme"]
    assert state.target.interval == 3600  # an hourly sync unless configured
    assert state.users is not None and state.users.snapshot is not None
    want = expected()
    assert list(state.users.snapshot.products) == want
    assert state.sync.snapshot is not None
    assert [(p.product, p.seats_used) for p in state.sync.snapshot.products] == [
        (p.product, p.licensed) for p in want
    ]


async def test_a_429_mid_scan_resumes_at_the_refused_cursor(
    clock: FakeClock, clean: Poller
) -> None:
    # 30 requests per 10 minutes: the seats sync reads its 25 pages, the scan 5, then 429.
    sim = await started(clock, rate_limit=PAGES + 5)
    poller = Poller(resolve(parse_config(config(sim.url("org")))), clock=clock)
    try:
        await poller.run_due()
        state = poller.states["cloud-acme"]
        assert state.sync.up is True and state.users is not None and state.users.up is False
        assert state.failures == {"http_429": 1}
        scan = cursors(sim)[PAGES:]
        assert len(scan) == 6 and sim.requests("org")[-1].status == 429
        refused = scan[-1]
        # Retry-After: the window's end. Not a request sooner.
        assert state.users.next_due >= NOW + 600
        sim.reset_requests()
        clock.advance(599)
        await poller.run_due()
        assert sim.requests("org") == []
        clock.advance(1)
        await poller.run_due()
        resumed = cursors(sim)
        assert resumed[0] == refused and len(resumed) == PAGES - 5
        assert state.users.up is True and state.users.snapshot is not None
        clean_state = clean.states["cloud-acme"].users
        assert clean_state is not None
        assert state.users.snapshot == clean_state.snapshot
    finally:
        await poller.close()
        await sim.stop()


async def test_a_reload_that_changes_the_target_drops_the_checkpoint(clock: FakeClock) -> None:
    sim = await started(clock, rate_limit=PAGES + 5)
    poller = Poller(resolve(parse_config(config(sim.url("org")))), clock=clock)
    try:
        await poller.run_due()
        assert "users" in poller.states["cloud-acme"].checkpoints
        poller.apply(resolve(parse_config(config(sim.url("org"), inactive_periods=["60d"]))))
        assert "users" not in poller.states["cloud-acme"].checkpoints
        sim.reset_requests()
        clock.advance(600)
        await poller.run_due()
        # A new target is a new state: the sync and the scan both start from the first page.
        first_pages = [q for q in cursors(sim) if "cursor" not in q]
        assert len(first_pages) == 2
    finally:
        await poller.close()
        await sim.stop()
