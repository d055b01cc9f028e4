"""Bitbucket endpoints: admin/license under 1.0 and latest, application-properties, 404 style."""

from __future__ import annotations

import pytest

from exporter.simulator.model import DAY
from tests.factories import FakeClock
from tests.simulator.instances import ADMIN, MakeClient, SimClient, bitbucket_instance

LICENSE = "/bb-a/rest/api/1.0/admin/license"


async def test_license_has_every_field(estate: SimClient) -> None:
    sim, client = estate
    resp = await client.get(LICENSE, headers=ADMIN)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
    body = await resp.json()
    server_id = sim.instances[2].server_id
    assert body == {
        "creationDate": 1_737_849_600_000,
        "purchaseDate": 1_737_849_600_000,
        "expiryDate": 1_768_266_000_000,
        "numberOfDaysBeforeExpiry": 12,
        "daysBeforeExpiry": 12,
        "maintenanceExpiryDate": 1_768_262_400_000,
        "numberOfDaysBeforeMaintenanceExpiry": 12,
        "gracePeriodEndDate": 1_770_854_400_000,
        "numberOfDaysBeforeGracePeriodExpiry": 42,
        "maximumNumberOfUsers": 100,
        "unlimitedNumberOfUsers": False,
        "serverId": server_id,
        "supportEntitlementNumber": "SEN-5",
        "license": body["license"],
        "status": {"serverId": server_id, "currentNumberOfUsers": 88},
    }


async def test_latest_path_is_an_alias(estate: SimClient) -> None:
    _, client = estate
    one = await (await client.get(LICENSE, headers=ADMIN)).json()
    latest = await (await client.get("/bb-a/rest/api/latest/admin/license", headers=ADMIN)).json()
    assert one == latest


@pytest.mark.parametrize(
    ("advance", "expiry", "maintenance", "grace"),
    [
        (0.5 * DAY, 11, 11, 41),
        (12 * DAY, 0, 0, 30),
        (12 * DAY + 7200, -1, -1, 29),  # floored: negative once the date has passed
        (50 * DAY, -38, -38, -8),
    ],
)
async def test_days_count_down_with_the_clock(
    estate: SimClient, clock: FakeClock, advance: float, expiry: int, maintenance: int, grace: int
) -> None:
    _, client = estate
    clock.advance(advance)
    body = await (await client.get(LICENSE, headers=ADMIN)).json()
    assert body["numberOfDaysBeforeExpiry"] == body["daysBeforeExpiry"] == expiry
    assert body["numberOfDaysBeforeMaintenanceExpiry"] == maintenance
    assert body["numberOfDaysBeforeGracePeriodExpiry"] == grace


async def test_unlimited_and_perpetual(make_client: MakeClient) -> None:
    inst = bitbucket_instance(limit=None, expiry=None, grace_period_end=None)
    _, client = await make_client([inst])
    body = await (await client.get(LICENSE, headers=ADMIN)).json()
    assert body["unlimitedNumberOfUsers"] is True
    assert body["maximumNumberOfUsers"] == -1
    assert "expiryDate" not in body and "gracePeriodEndDate" not in body
    assert body["numberOfDaysBeforeExpiry"] == 2**31 - 1
    assert body["status"]["currentNumberOfUsers"] == 88


async def test_application_properties_is_anonymous(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get("/bb-a/rest/api/1.0/application-properties")
    assert resp.status == 200
    assert await resp.json() == {
        "version": "9.6.0",
        "buildNumber": "9006000",
        "buildDate": "1717236000000",
        "displayName": "Bitbucket",
    }


async def test_unknown_path_is_json_404(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get("/bb-a/rest/api/1.0/projects", headers=ADMIN)
    assert resp.status == 404
    assert await resp.json() == {
        "message": "HTTP 404 Not Found",
        "status-code": 404,
        "sub-code": -1,
    }
    assert await (await client.get("/bb-a/status")).json() == {"state": "RUNNING"}
