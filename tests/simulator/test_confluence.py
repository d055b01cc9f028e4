"""Confluence endpoints: the three counters, /details (>= 7.1 only), 404 style."""

from __future__ import annotations

from tests.factories import FakeClock
from tests.simulator.instances import ADMIN, MakeClient, SimClient, confluence_instance

LICENSE = "/conf-a/rest/license/1.0/license/"


async def test_counters_are_single_count_objects(estate: SimClient) -> None:
    _, client = estate
    for endpoint, count in (("userCount", 452), ("maxUsers", 500), ("remainingSeats", 48)):
        resp = await client.get(LICENSE + endpoint, headers=ADMIN)
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
        assert await resp.read() == b'{"count":%d}' % count


async def test_counters_follow_a_pin(estate: SimClient, clock: FakeClock) -> None:
    sim, client = estate
    sim.pin_seats("conf-a", "confluence", 495)
    clock.advance(3600)
    assert await (await client.get(LICENSE + "userCount", headers=ADMIN)).json() == {"count": 495}
    remaining = await (await client.get(LICENSE + "remainingSeats", headers=ADMIN)).json()
    assert remaining == {"count": 5}


async def test_unlimited_license_reports_integer_max_value(make_client: MakeClient) -> None:
    # As UserCountService.getLicenseMaxUsers documents; no free-slot count (an empty Optional).
    _, client = await make_client([confluence_instance(limit=None)])
    max_users = await (await client.get(LICENSE + "maxUsers", headers=ADMIN)).json()
    assert max_users == {"count": 2**31 - 1}
    remaining = await (await client.get(LICENSE + "remainingSeats", headers=ADMIN)).json()
    assert remaining == {}
    assert await (await client.get(LICENSE + "userCount", headers=ADMIN)).json() == {"count": 452}


async def test_details_in_epoch_ms(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(LICENSE + "details", headers=ADMIN)
    assert resp.status == 200
    assert await resp.json() == {
        "expiryDate": 1_798_761_600_000,
        "maintenanceExpiryDate": 1_769_385_600_000,
        "dataCenter": True,
        "subscription": True,
        "evaluation": False,
        "licenseType": "COMMERCIAL",
        "supportEntitlementNumber": "SEN-4",
    }


async def test_details_absent_before_7_1(make_client: MakeClient) -> None:
    _, client = await make_client(
        [confluence_instance("old", version="6.15.0"), confluence_instance("edge", version="7.1")]
    )
    old = await client.get("/old/rest/license/1.0/license/details", headers=ADMIN)
    assert old.status == 404
    assert "Page not found - Confluence" in await old.text()
    assert (await client.get("/edge/rest/license/1.0/license/details", headers=ADMIN)).status == 200
    counters = await client.get("/old/rest/license/1.0/license/userCount", headers=ADMIN)
    assert counters.status == 200


async def test_status_and_unknown_path(estate: SimClient) -> None:
    _, client = estate
    assert await (await client.get("/conf-a/status")).json() == {"state": "RUNNING"}
    resp = await client.get("/conf-a/rest/api/space", headers=ADMIN)
    assert resp.status == 404
    assert resp.headers["Content-Type"] == "text/html;charset=UTF-8"
