"""The HTTP control API under /-/sim/."""

from __future__ import annotations

from tests.factories import FakeClock
from tests.simulator.instances import ADMIN, SimClient

COUNT = "/conf-a/rest/license/1.0/license/userCount"


async def test_instances_lists_names_types_urls_and_credentials(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get("/-/sim/instances")
    assert resp.status == 200
    listed = await resp.json()
    assert [(i["name"], i["type"]) for i in listed] == [
        ("jira-a", "jira"),
        ("conf-a", "confluence"),
        ("bb-a", "bitbucket"),
    ]
    jira = listed[0]
    assert jira["url"] == str(client.make_url("/jira-a"))
    assert (jira["username"], jira["password"], jira["token"]) == ("admin", "admin", "pat-jira")
    assert jira["products"] == ["jira-software", "jira-servicedesk", "jira-core"]


async def test_set_and_clear_a_fault(estate: SimClient) -> None:
    _, client = estate
    fault = {"kind": "status", "status": 429, "retry_after": "7", "path": "userCount"}
    resp = await client.post("/-/sim/conf-a/fault", json=fault)
    assert resp.status == 200
    assert (await resp.json())["fault"]["status"] == 429
    got = await client.get(COUNT, headers=ADMIN)
    assert (got.status, got.headers["Retry-After"]) == (429, "7")
    assert (await client.post("/-/sim/conf-a/fault", json={"kind": None})).status == 200
    assert (await client.get(COUNT, headers=ADMIN)).status == 200
    await client.post("/-/sim/conf-a/fault", json={"kind": "forbidden"})
    assert (await client.get(COUNT, headers=ADMIN)).status == 403
    assert (await client.post("/-/sim/conf-a/fault", json={})).status == 200
    assert (await client.get(COUNT, headers=ADMIN)).status == 200
    assert (await client.post("/-/sim/conf-a/fault")).status == 200  # empty body clears too


async def test_bad_fault_requests(estate: SimClient) -> None:
    _, client = estate
    for body in ({"kind": "explode"}, {"kind": "slow", "delay": 1}, {"kind": "status"}, [1]):
        resp = await client.post("/-/sim/conf-a/fault", json=body)
        assert resp.status == 400
        assert "error" in await resp.json()
    resp = await client.post("/-/sim/conf-a/fault", data=b"{nope")
    assert resp.status == 400
    assert (await client.post("/-/sim/nope/fault", json={})).status == 404


async def test_pin_and_release_seats(estate: SimClient, clock: FakeClock) -> None:
    _, client = estate
    resp = await client.post("/-/sim/conf-a/seats", json={"product": "confluence", "used": 499})
    assert await resp.json() == {"product": "confluence", "used": 499}
    assert await (await client.get(COUNT, headers=ADMIN)).json() == {"count": 499}
    resp = await client.post("/-/sim/conf-a/seats", json={"product": "confluence", "used": None})
    assert await resp.json() == {"product": "confluence", "used": 452}
    assert (await client.post("/-/sim/conf-a/seats", json={"product": "jira"})).status == 404
    assert (await client.post("/-/sim/conf-a/seats", json={"used": 1})).status == 400
    bad = {"product": "confluence", "used": "1"}
    assert (await client.post("/-/sim/conf-a/seats", json=bad)).status == 400


async def test_request_log_over_http(estate: SimClient, clock: FakeClock) -> None:
    _, client = estate
    await client.get(COUNT, headers=ADMIN)
    await client.get(COUNT)
    log = await (await client.get("/-/sim/conf-a/requests")).json()
    assert log == [
        {"method": "GET", "path": "/rest/license/1.0/license/userCount", "status": 200,
         "auth": "admin", "at": clock.now, "query": ""},
        {"method": "GET", "path": "/rest/license/1.0/license/userCount", "status": 401,
         "auth": "anonymous", "at": clock.now, "query": ""},
    ]  # fmt: skip
    assert (await client.delete("/-/sim/conf-a/requests")).status == 200
    assert await (await client.get("/-/sim/conf-a/requests")).json() == []
    assert (await client.get("/-/sim/nope/requests")).status == 404
