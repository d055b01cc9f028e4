"""The demo estate and the generated benchmark set."""

from __future__ import annotations

from collections import Counter

from exporter.simulator import Simulator, demo_instances, generated_instances
from exporter.simulator.model import DAY
from tests.simulator.instances import ADMIN, T0, MakeClient


def test_demo_set_matches_the_brief() -> None:
    demo = {inst.name: inst for inst in demo_instances(now=T0)}
    assert list(demo) == [
        "jira-prod",
        "confluence-prod",
        "confluence-legacy",
        "bitbucket-prod",
        "crowd",
        "jira-cloud",
        "cloud-org",
    ]
    jira = demo["jira-prod"]
    software, servicedesk, core = jira.products
    assert (software.key, software.limit, software.base_used) == ("jira-software", 500, 430)
    assert software.trend_per_day > 0
    assert (servicedesk.key, servicedesk.limit, servicedesk.base_used) == (
        "jira-servicedesk",
        50,
        45,
    )
    assert (core.key, core.limit) == ("jira-core", None)
    assert (
        demo["confluence-prod"].products[0].limit,
        demo["confluence-prod"].products[0].base_used,
    ) == (500, 452)
    assert demo["confluence-legacy"].version == "6.15.0"
    bitbucket = demo["bitbucket-prod"].products[0]
    assert (bitbucket.limit, bitbucket.base_used) == (100, 88)
    assert bitbucket.grace_period_end is not None
    # User lists where the products have them: Bitbucket, Confluence 9.3+, Crowd.
    assert demo["confluence-prod"].version_tuple >= (9, 3, 0)
    with_users = {i.name for i in demo.values() for p in i.products if p.users is not None}
    assert with_users == {"confluence-prod", "bitbucket-prod", "crowd"}
    crowd = demo["crowd"]
    assert [(a.id, a.type, a.name) for a in crowd.crowd_apps] == [
        (3, "jira", "jira-emea"),
        (5, "confluence", "confluence-emea"),
    ]
    for product in crowd.products:  # Crowd's totals are its licensed-user lists
        assert product.users is not None and product.base_used == product.users.licensed_count
    cloud = demo["jira-cloud"]
    assert [(p.key, p.plan) for p in cloud.products] == [
        ("jira-software", "PAID"),
        ("jira-servicedesk", "FREE"),
        ("jira-product-discovery", "FREE"),
    ]
    assert cloud.username == "admin@example.com"
    # A Cloud organization with two sites; no rate limit: the demo's upstreams do not fail.
    org = demo["cloud-org"]
    assert org.org_users is not None and org.org_users.count > 12 * 50 // 2
    assert sorted({p.site for p in org.products}) == [
        "acme-labs.atlassian.net",
        "acme.atlassian.net",
    ]
    assert org.rate_limit == 0
    expiries = [p.expiry for inst in demo.values() for p in inst.products if p.expiry]
    assert any(T0 < e <= T0 + 30 * DAY for e in expiries)
    assert any(e > T0 + 90 * DAY for e in expiries)


async def test_demo_set_serves(make_client: MakeClient) -> None:
    _, client = await make_client(demo_instances(now=T0))
    assert (await client.get("/jira-prod/rest/api/2/applicationrole", headers=ADMIN)).status == 200
    details = "/confluence-legacy/rest/license/1.0/license/details"
    assert (await client.get(details, headers=ADMIN)).status == 404
    maxusers = "/confluence-legacy/rest/license/1.0/license/maxUsers"
    assert await (await client.get(maxusers, headers=ADMIN)).json() == {"count": 250}
    roles = await (await client.get("/jira-prod/rest/api/2/applicationrole", headers=ADMIN)).json()
    assert roles[2]["hasUnlimitedSeats"] is True
    license_ = await (
        await client.get("/bitbucket-prod/rest/api/1.0/admin/license", headers=ADMIN)
    ).json()
    assert license_["numberOfDaysBeforeGracePeriodExpiry"] == 42


def test_generated_instances_are_deterministic_and_mixed() -> None:
    first = generated_instances(30, seed=7, now=T0)
    assert first == generated_instances(30, seed=7, now=T0)
    assert first != generated_instances(30, seed=8, now=T0)
    assert [inst.name for inst in first[:2]] == ["app-0001", "app-0002"]
    assert Counter(inst.type for inst in first) == {"jira": 10, "confluence": 10, "bitbucket": 10}
    for inst in first:
        for product in inst.products:
            assert product.limit is None or 0 < product.base_used <= product.limit
    assert {inst.upm_maintenance_expiry for inst in first if inst.type == "jira"} == {True, False}
    Simulator(generated_instances(1000))  # names are unique at benchmark sizes
