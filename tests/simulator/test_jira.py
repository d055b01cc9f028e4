"""Jira endpoints: application roles, UPM license, serverInfo, /status."""

from __future__ import annotations

from tests.factories import FakeClock
from tests.simulator.instances import ADMIN, MakeClient, SimClient, jira_instance

JSON = "application/json;charset=UTF-8"
ROLES = "/jira-a/rest/api/2/applicationrole"
UPM = "/jira-a/rest/plugins/applications/1.0/installed/{}/license"


async def test_applicationrole_lists_every_role_with_all_fields(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == JSON
    software, servicedesk, _ = await resp.json()
    assert software == {
        "key": "jira-software",
        "groups": ["jira-software-users", "jira-administrators"],
        "name": "Jira Software",
        "defaultGroups": ["jira-software-users"],
        "selectedByDefault": True,
        "defined": True,
        "numberOfSeats": 500,
        "remainingSeats": 70,
        "userCount": 430,
        "userCountDescription": "users",
        "hasUnlimitedSeats": False,
        "platform": False,
    }
    assert (servicedesk["name"], servicedesk["userCountDescription"]) == (
        "Jira Service Management",
        "agents",
    )
    assert (servicedesk["numberOfSeats"], servicedesk["userCount"]) == (50, 45)
    assert servicedesk["remainingSeats"] == 5


async def test_unlimited_role_reports_minus_one(estate: SimClient) -> None:
    _, client = estate
    core = await (await client.get(ROLES + "/jira-core", headers=ADMIN)).json()
    assert core["numberOfSeats"] == -1
    assert core["remainingSeats"] == -1
    assert core["hasUnlimitedSeats"] is True
    assert core["platform"] is True
    assert core["userCount"] == 120


async def test_seats_move_with_the_clock(estate: SimClient, clock: FakeClock) -> None:
    sim, client = estate
    clock.advance(900)  # a quarter of the 1 h period: +amplitude 10
    role = await (await client.get(ROLES + "/jira-software", headers=ADMIN)).json()
    assert (role["userCount"], role["remainingSeats"]) == (440, 60)
    sim.pin_seats("jira-a", "jira-software", 495)
    role = await (await client.get(ROLES + "/jira-software", headers=ADMIN)).json()
    assert (role["userCount"], role["remainingSeats"]) == (495, 5)


async def test_unknown_role_key_is_404_json(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(ROLES + "/jira-bamboo", headers=ADMIN)
    assert resp.status == 404
    body = await resp.json()
    assert body == {"errorMessages": ["No application role with key 'jira-bamboo' exists."],
                    "errors": {}}  # fmt: skip


async def test_upm_license_fields_in_epoch_ms(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(UPM.format("jira-software"), headers=ADMIN)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == JSON
    body = await resp.json()
    assert body == {
        "valid": True,
        "evaluation": False,
        "maximumNumberOfUsers": 500,
        "licenseType": "COMMERCIAL",
        "creationDateString": "31/Jan/25",
        "expiryDate": 1_769_817_600_000,
        "expiryDateString": "31/Jan/26",
        "organizationName": "Example Corp",
        "dataCenter": True,
        "subscription": True,
        "rawLicense": body["rawLicense"],
        "expired": False,
        "supportEntitlementNumber": "SEN-1",
        "enterprise": False,
        "active": True,
        "autoRenewal": False,
        "maintenanceExpiryDate": 1_772_409_600_000,
    }
    assert body["rawLicense"].startswith("AAAB")


async def test_upm_license_expired_and_unlimited(estate: SimClient, clock: FakeClock) -> None:
    _, client = estate
    clock.advance(31 * 86400)
    body = await (await client.get(UPM.format("jira-software"), headers=ADMIN)).json()
    assert (body["expired"], body["valid"]) == (True, False)
    core = await (await client.get(UPM.format("jira-core"), headers=ADMIN)).json()
    assert core["maximumNumberOfUsers"] == -1
    # Perpetual: no expiry fields at all; no maintenance date configured either.
    assert "expiryDate" not in core and "expiryDateString" not in core
    assert "maintenanceExpiryDate" not in core


async def test_upm_maintenance_date_absent_on_some_instances(make_client: MakeClient) -> None:
    _, client = await make_client([jira_instance(upm_maintenance_expiry=False)])
    body = await (await client.get(UPM.format("jira-software"), headers=ADMIN)).json()
    assert "maintenanceExpiryDate" not in body
    assert body["expiryDate"] == 1_769_817_600_000


async def test_upm_unknown_application_is_404(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(UPM.format("jira-bamboo"), headers=ADMIN)
    assert resp.status == 404
    assert resp.headers["Content-Type"].startswith("text/html")


async def test_server_info_is_anonymous(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get("/jira-a/rest/api/2/serverInfo")
    assert resp.status == 200
    assert await resp.json() == {
        "baseUrl": str(client.make_url("/jira-a")),
        "version": "9.12.7",
        "versionNumbers": [9, 12, 7],
        "deploymentType": "Server",
        "buildNumber": 912007,
        "buildDate": "2024-04-02T00:00:00.000+0000",
        "serverTime": "2026-01-01T00:00:00.000+0000",
        "scmInfo": (await resp.json())["scmInfo"],
        "serverTitle": "Jira",
    }


async def test_status_reports_state(estate: SimClient) -> None:
    sim, client = estate
    resp = await client.get("/jira-a/status")
    assert (resp.status, await resp.json()) == (200, {"state": "RUNNING"})
    sim.set_state("jira-a", "MAINTENANCE")
    resp = await client.get("/jira-a/status")
    assert (resp.status, await resp.json()) == (503, {"state": "MAINTENANCE"})
    sim.set_state("jira-a", "ERROR")
    assert (await client.get("/jira-a/status")).status == 500
    sim.set_state("jira-a", "STARTING")
    resp = await client.get("/jira-a/status")
    assert (resp.status, await resp.json()) == (200, {"state": "STARTING"})


async def test_unknown_path_is_html_404(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get("/jira-a/rest/api/2/myself", headers=ADMIN)
    assert resp.status == 404
    assert resp.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert "Page not found - Jira" in await resp.text()


async def test_unknown_instance_is_plain_404(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get("/nope/status")
    assert resp.status == 404
    assert resp.headers["Content-Type"].startswith("text/plain")


async def test_non_get_is_405(estate: SimClient) -> None:
    _, client = estate
    resp = await client.post(ROLES, headers=ADMIN)
    assert resp.status == 405
