"""Jira Cloud: roles with group details, plans, the 7-day cached approximate count, 429s."""

from __future__ import annotations

import time

import pytest

from exporter.simulator import Fault
from exporter.simulator.model import DAY
from tests.factories import FakeClock
from tests.simulator.instances import CLOUD_TOKEN as TOKEN
from tests.simulator.instances import CLOUD_VIEWER as VIEWER
from tests.simulator.instances import MakeClient, SimClient, cloud_instance

API = "/site/rest/api/3"


@pytest.fixture
async def site(make_client: MakeClient) -> SimClient:
    return await make_client([cloud_instance()])


async def test_roles_carry_group_details(site: SimClient) -> None:
    _, client = site
    roles = await (await client.get(f"{API}/applicationrole", headers=TOKEN)).json()
    software, discovery = roles
    assert (software["numberOfSeats"], software["userCount"], software["remainingSeats"]) == (
        100,
        70,
        30,
    )
    assert software["userCountDescription"] == "70 users"
    assert [g["name"] for g in software["groupDetails"]] == software["groups"]
    assert software["defaultGroupsDetails"][0]["self"].endswith(
        "/rest/api/3/group?groupId=" + software["defaultGroupsDetails"][0]["groupId"]
    )
    assert (discovery["hasUnlimitedSeats"], discovery["numberOfSeats"]) == (True, -1)
    one = await (await client.get(f"{API}/applicationrole/jira-software", headers=TOKEN)).json()
    assert one == software
    v2 = await (await client.get("/site/rest/api/2/applicationrole", headers=TOKEN)).json()
    assert v2 == roles


async def test_license_plans_need_a_login_but_no_admin(site: SimClient) -> None:
    _, client = site
    body = {"applications": [
        {"id": "jira-software", "plan": "PAID"}, {"id": "jira-product-discovery", "plan": "FREE"}
    ]}  # fmt: skip
    assert await (await client.get(f"{API}/instance/license", headers=VIEWER)).json() == body
    assert (await client.get(f"{API}/instance/license")).status == 401


async def test_approximate_count_is_a_string_cached_for_7_days(
    site: SimClient, clock: FakeClock
) -> None:
    _, client = site
    url = f"{API}/license/approximateLicenseCount/product/jira-software"
    clock.advance(6 * DAY)  # seats grew by 6, the cached count did not
    body = await (await client.get(url, headers=TOKEN)).json()
    assert body == {"key": "license.jira-software.approximateUserCount", "value": "70"}
    clock.advance(1 * DAY)
    assert (await (await client.get(url, headers=TOKEN)).json())["value"] == "77"
    total = await (await client.get(f"{API}/license/approximateLicenseCount", headers=TOKEN)).json()
    assert total["value"] == "82"
    missing = await client.get(f"{API}/license/approximateLicenseCount/product/x", headers=TOKEN)
    assert missing.status == 404
    forbidden = await client.get(url, headers=VIEWER)
    assert forbidden.status == 403
    assert await forbidden.json() == {
        "errorMessages": ["Only Jira administrators can access license details."],
        "errors": {},
    }


async def test_429_says_when_the_rate_limit_resets(site: SimClient, clock: FakeClock) -> None:
    sim, client = site
    sim.set_fault("site", Fault("status", status=429))
    resp = await client.get(f"{API}/applicationrole", headers=TOKEN)
    assert resp.status == 429 and "Retry-After" not in resp.headers
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock.now + 60))
    assert resp.headers["X-RateLimit-Reset"] == reset
    assert resp.headers["X-RateLimit-NearLimit"] == "true"
    assert resp.headers["RateLimit-Reason"] == "jira-burst-based"
    sim.set_fault("site", Fault("status", status=429, retry_after="5"))
    again = await client.get(f"{API}/applicationrole", headers=TOKEN)
    assert again.headers["Retry-After"] == "5" and "X-RateLimit-Reset" in again.headers


async def test_server_info_says_cloud(site: SimClient) -> None:
    _, client = site
    info = await (await client.get(f"{API}/serverInfo")).json()
    assert info["deploymentType"] == "Cloud" and info["version"] == "1001.0.0-SNAPSHOT"
