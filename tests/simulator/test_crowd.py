"""Crowd license visibility: summaries, Jira types, directories, the licensed-user search."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.simulator import CrowdApp, Fault, SimInstance, SimUsers
from exporter.simulator.demo import crowd_product
from exporter.simulator.model import DAY
from tests.factories import FakeClock
from tests.simulator.instances import ADMIN, T0, VIEWER, MakeClient, SimClient

BASE = "/crowd/rest/admin/1.0/licensing"


def crowd_instance() -> SimInstance:
    return SimInstance(
        "crowd",
        "crowd",
        [
            crowd_product("jira-software", 3, 250, SimUsers(270, seed=1, epoch=T0)),
            crowd_product("jira-servicedesk", 3, 50, SimUsers(40, seed=2, epoch=T0)),
            crowd_product("confluence", 5, None, SimUsers(30, seed=3, epoch=T0)),
        ],
        crowd_apps=[
            CrowdApp(3, "jira", "jira-emea"),
            CrowdApp(5, "confluence", "wiki", sync_interval=600, data_age=2 * DAY),
        ],
    )


@pytest.fixture
async def crowd(make_client: MakeClient) -> SimClient:
    return await make_client([crowd_instance()])


async def get(client: Any, url: str, **kw: Any) -> Any:
    resp = await client.get(url, headers=kw.pop("headers", ADMIN), **kw)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_summary_per_jira_type(crowd: SimClient, clock: FakeClock) -> None:
    _, client = crowd
    clock.advance(5000)  # Crowd last pulled the data at the top of the hour
    body = await get(client, f"{BASE}/3/summary?jiraType=jira-software")
    assert body == {
        "status": "PRESENT",
        "maximumUserLimit": 250,
        "totalLicensedUsers": 242,  # 86 + 86 + 70 licensed of 270 users
        "numberOfDirectories": 2,
        "timestamp": round((T0 + 3600) * 1000),
        "version": int((T0 + 3600) // 3600),
        "jiraType": "jira-software",
    }
    total = await get(client, f"{BASE}/3/summary")  # no jiraType: the types added up
    assert (total["maximumUserLimit"], total["totalLicensedUsers"]) == (300, 282)
    assert "jiraType" not in total


async def test_stale_data_and_unlimited_confluence(crowd: SimClient) -> None:
    _, client = crowd
    body = await get(client, f"{BASE}/5/summary")
    assert body["timestamp"] == round((T0 - 2 * DAY) * 1000)
    assert (body["maximumUserLimit"], body["totalLicensedUsers"]) == (-1, 30)


async def test_jira_types_and_directories(crowd: SimClient) -> None:
    _, client = crowd
    assert await get(client, f"{BASE}/3/jira-types") == {
        "values": [
            {"key": "jira-software", "displayName": "Jira Software"},
            {"key": "jira-servicedesk", "displayName": "Jira Service Desk"},
        ]
    }
    assert await get(client, f"{BASE}/5/jira-types") == {"values": []}
    page = await get(client, f"{BASE}/3/directories?start=1&limit=1")
    assert page == {
        "values": [{"id": "9714", "name": "My awesome directory", "isLocalCrowd": False}],
        "size": 1,
        "start": 1,
        "limit": 1,
        "isLastPage": True,
    }


async def test_licensed_user_search_pages_by_jira_type(crowd: SimClient) -> None:
    _, client = crowd
    url = f"{BASE}/3/licensed-users/search"
    seen: list[dict[str, Any]] = []
    start = 0
    while True:
        resp = await client.post(
            f"{url}?start={start}&limit=100", json={"jiraType": "jira-software"}, headers=ADMIN
        )
        body = await resp.json()
        assert (body["start"], body["total"]) == (start, 242)
        seen += body["values"]
        if body["isLastPage"]:
            break
        start += body["size"]
    users = SimUsers(270, seed=1, epoch=T0)
    assert [u["username"] for u in seen] == [u.name for u in users.licensed(0, 242, T0)]
    never = [u for u in seen if u["lastActive"] is None]
    assert never and set(seen[0]) == {
        "id",
        "username",
        "fullName",
        "email",
        "lastActive",
        "directory",
    }
    # GET is not how this resource is called.
    assert (await client.get(url, headers=ADMIN)).status == 405


async def test_errors(crowd: SimClient) -> None:
    sim, client = crowd
    missing = await client.get(f"{BASE}/99/summary", headers=ADMIN)
    assert missing.status == 404 and (await missing.json())["reason"] == "NOT_FOUND"
    unknown_type = await client.get(f"{BASE}/3/summary?jiraType=jira-core", headers=ADMIN)
    assert unknown_type.status == 404
    assert (await client.get(f"{BASE}/3/summary")).status == 401
    forbidden = await client.get(f"{BASE}/3/summary", headers=VIEWER)
    assert (forbidden.status, (await forbidden.json())["reason"]) == (403, "PERMISSION_DENIED")
    sim.set_fault("crowd", Fault("status", status=429, retry_after="7"))
    limited = await client.get(f"{BASE}/3/summary", headers=ADMIN)
    assert (limited.status, limited.headers["Retry-After"]) == (429, "7")


async def test_pinned_seats_override_the_list_length(crowd: SimClient) -> None:
    sim, client = crowd
    sim.pin_seats("crowd", "3/jira-software", 249)
    body = await get(client, f"{BASE}/3/summary?jiraType=jira-software")
    assert body["totalLicensedUsers"] == 249
    with pytest.raises(KeyError):
        sim.pin_seats("crowd", "jira-software", 1)  # Crowd products are app id / key


def directories_instance(**app: Any) -> SimInstance:
    return SimInstance(
        "crowd",
        "crowd",
        [crowd_product("bitbucket", 7, 100, SimUsers(60, seed=4, epoch=T0))],
        crowd_apps=[
            CrowdApp(
                7,
                "bitbucket",
                "bb",
                directories=(("1", "Local", True), ("2", "LDAP", False), ("3", "AD", False)),
                **app,
            )
        ],
    )


async def search(client: Any, criteria: dict[str, Any], start: int = 0, limit: int = 1000) -> Any:
    resp = await client.post(
        f"{BASE}/7/licensed-users/search?start={start}&limit={limit}", json=criteria, headers=ADMIN
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_several_directories_and_the_search_filtered_by_directory(
    make_client: MakeClient,
) -> None:
    _, client = await make_client([directories_instance()])
    summary = await get(client, f"{BASE}/7/summary")
    licensed = SimUsers(60, seed=4, epoch=T0).licensed_count
    assert (summary["numberOfDirectories"], summary["totalLicensedUsers"]) == (3, licensed)
    page = await get(client, f"{BASE}/7/directories")
    assert [d["name"] for d in page["values"]] == ["Local", "LDAP", "AD"]
    everyone = await search(client, {})
    totals = {d: (await search(client, {"directoryId": d}, limit=1))["total"] for d in "123"}
    assert sum(totals.values()) == everyone["total"] == licensed
    assert all(totals.values())
    ldap = await search(client, {"directoryId": "2"})
    assert {u["directory"] for u in ldap["values"]} == {"LDAP"}
    assert len(ldap["values"]) == totals["2"]
    # A filtered page: the window applies to the filtered list.
    second = await search(client, {"directoryId": "2"}, start=5, limit=5)
    assert second["values"] == ldap["values"][5:10]
    unknown = await client.post(
        f"{BASE}/7/licensed-users/search", json={"directoryId": "99"}, headers=ADMIN
    )
    assert unknown.status == 404


@pytest.mark.parametrize("status", ["NOT_CONFIGURED", "LOADING", "REFRESHING"])
async def test_a_summary_without_data_carries_only_its_status(
    make_client: MakeClient, status: str
) -> None:
    _, client = await make_client([directories_instance(status=status)])
    assert await get(client, f"{BASE}/7/summary") == {
        "status": status,
        "maximumUserLimit": 0,
        "totalLicensedUsers": 0,
        "numberOfDirectories": 0,
        "timestamp": 0,
        "version": 0,
    }


async def test_the_version_moves_after_the_configured_searches(make_client: MakeClient) -> None:
    _, client = await make_client([directories_instance(version_moves_after_searches=(2, 3))])
    version = (await get(client, f"{BASE}/7/summary"))["version"]
    seen = []
    for _ in range(4):
        await search(client, {}, limit=1)
        seen.append((await get(client, f"{BASE}/7/summary"))["version"] - version)
    assert seen == [0, 1, 2, 2]
