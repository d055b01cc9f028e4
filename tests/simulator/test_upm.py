"""UPM on the simulator: the plugin list (system and user-installed), app license bodies with
every field UPM sends, free apps (200 without a license type, or 404), expiry from the clock."""

from __future__ import annotations

from exporter.simulator.apps import demo_apps
from exporter.simulator.model import DAY, SimApp, SimAppLicense
from tests.factories import FakeClock
from tests.simulator.instances import (
    ADMIN,
    T0,
    VIEWER,
    MakeClient,
    bitbucket_instance,
    jira_instance,
)

LIST = "/jira-a/rest/plugins/1.0/"


def license_path(key: str, instance: str = "jira-a") -> str:
    return f"/{instance}/rest/plugins/1.0/{key}-key/license"


APPS = [
    SimApp("com.v.paid", "Paid", "2.1", license=SimAppLicense(limit=250, expiry=T0 + 10 * DAY)),
    SimApp("com.v.free", "Free", "1.0"),
    SimApp("com.v.old-free", "Old free", "0.1", free_404=True),
    SimApp("com.v.wrong", "Wrong", "3", license=SimAppLicense(error="USER_MISMATCH")),
]


async def test_the_list_has_system_plugins_and_user_installed_apps(
    make_client: MakeClient,
) -> None:
    _, client = await make_client([jira_instance(apps=APPS, system_plugins=30)])
    resp = await client.get(LIST, headers=ADMIN)
    assert resp.status == 200
    plugins = (await resp.json())["plugins"]
    assert len(plugins) == 34
    system = [p for p in plugins if not p["userInstalled"]]
    assert len(system) == 30 and all(p["key"].startswith("com.atlassian.") for p in system)
    user = [p for p in plugins if p["userInstalled"]]
    assert [(p["key"], p["name"], p["version"], p["enabled"]) for p in user] == [
        ("com.v.paid", "Paid", "2.1", True),
        ("com.v.free", "Free", "1.0", True),
        ("com.v.old-free", "Old free", "0.1", True),
        ("com.v.wrong", "Wrong", "3", True),
    ]


async def test_the_list_needs_an_administrator(make_client: MakeClient) -> None:
    _, client = await make_client([jira_instance(apps=APPS)])
    assert (await client.get(LIST)).status == 401
    assert (await client.get(LIST, headers=VIEWER)).status == 403


async def test_a_paid_license_carries_every_field(make_client: MakeClient) -> None:
    _, client = await make_client([jira_instance(apps=APPS)])
    body = await (await client.get(license_path("com.v.paid"), headers=ADMIN)).json()
    assert body["valid"] is True and "error" not in body
    assert body["maximumNumberOfUsers"] == 250
    assert body["expiryDate"] == (T0 + 10 * DAY) * 1000
    assert body["nearlyExpired"] is True
    assert body["licenseType"] == "COMMERCIAL"
    for secret in ("rawLicense", "contactEmail", "supportEntitlementNumber"):
        assert body[secret]


async def test_expiry_follows_the_clock_and_errors_are_reported(
    make_client: MakeClient, clock: FakeClock
) -> None:
    _, client = await make_client([jira_instance(apps=APPS)])
    clock.advance(11 * DAY)
    body = await (await client.get(license_path("com.v.paid"), headers=ADMIN)).json()
    assert (body["valid"], body["error"], body["active"]) == (False, "EXPIRED", False)
    wrong = await (await client.get(license_path("com.v.wrong"), headers=ADMIN)).json()
    assert (wrong["valid"], wrong["error"]) == (False, "USER_MISMATCH")


async def test_free_apps_answer_without_a_license_type_or_with_a_404(
    make_client: MakeClient,
) -> None:
    _, client = await make_client([jira_instance(apps=APPS)])
    free = await client.get(license_path("com.v.free"), headers=ADMIN)
    assert free.status == 200
    body = await free.json()
    assert "licenseType" not in body and body["valid"] is False and "links" in body
    assert (await client.get(license_path("com.v.old-free"), headers=ADMIN)).status == 404
    assert (await client.get(license_path("com.v.unknown"), headers=ADMIN)).status == 404


async def test_bitbucket_and_unlimited_licenses(make_client: MakeClient) -> None:
    apps = [SimApp("com.v.big", "Big", "1", license=SimAppLicense(limit=None))]
    instance = bitbucket_instance()
    instance.apps = apps
    _, client = await make_client([instance])
    body = await (await client.get(license_path("com.v.big", "bb-a"), headers=ADMIN)).json()
    assert body["maximumNumberOfUsers"] == -1 and "expiryDate" not in body


def test_the_demo_mix() -> None:
    apps = demo_apps("jira", 500, lambda n: T0 + n * DAY)
    paid = [a for a in apps if a.license is not None]
    assert len(apps) == 10 and len(paid) == 7
    licenses = [a.license for a in paid if a.license is not None]
    assert {lic.license_type for lic in licenses} >= {"COMMERCIAL", "EVALUATION"}
    assert any(lic.limit is None for lic in licenses)
    assert any(lic.limit is not None and lic.limit < 500 and lic.error is None for lic in licenses)
    assert [lic.error for lic in licenses if lic.error] == ["USER_MISMATCH"]
    assert any(lic.expiry is not None and lic.expiry < T0 for lic in licenses)
    assert any(a.free_404 for a in apps) and any(a.license is None and not a.free_404 for a in apps)
