from __future__ import annotations

import pytest

from exporter.sources import jira_cloud
from exporter.sources.model import ProductLicense, SourceError
from tests.factories import Upstream, fixture, json_response, make_app

ROLES = "/rest/api/3/applicationrole"
LICENSE = "/rest/api/3/instance/license"
COUNT = "/rest/api/3/license/approximateLicenseCount/product/{}"
MEMBERS = "/rest/api/3/group/member"


def upstream(**overrides: object) -> Upstream:
    routes: dict[str, object] = {
        ROLES: fixture("jira-cloud/applicationrole.json"),
        LICENSE: fixture("jira-cloud/instance_license.json"),
        COUNT.format("jira-software"): fixture("jira-cloud/approximate_jira-software.json"),
        COUNT.format("jira-core"): fixture("jira-cloud/approximate_jira-core.json"),
        # jira-product-discovery: no approximate count (404), seats still count
    }
    routes.update(overrides)
    return Upstream(routes)


async def test_roles_plans_and_approximate_counts() -> None:
    app = make_app("cloud", "jira-cloud")
    snapshot = await jira_cloud.fetch(upstream().client(app), app)
    assert snapshot.products == (
        ProductLicense("jira-software", 5, 10, 5, plan="PAID", seats_used_approximate=115),
        ProductLicense("jira-core", 0, 1, 1, plan="PAID", seats_used_approximate=0),
        # Every role key the site returns is a product, unlimited ones included.
        ProductLicense("jira-product-discovery", 8, None, None, plan="FREE"),
    )


async def test_a_product_missing_from_the_license_has_no_plan() -> None:
    body = {"applications": [{"id": "jira-core", "plan": "UNLICENSED"}]}
    snapshot = await jira_cloud.fetch(upstream(**{LICENSE: body}).client(), make_app())
    assert [(p.product, p.plan) for p in snapshot.products] == [
        ("jira-software", None),
        ("jira-core", "UNLICENSED"),
        ("jira-product-discovery", None),
    ]


@pytest.mark.parametrize("value", ["many", "-3", 1.5, None, True])
async def test_an_approximate_count_that_is_not_a_count_is_invalid(value: object) -> None:
    body = {"key": "license.jira-software.approximateUserCount", "value": value}
    up = upstream(**{COUNT.format("jira-software"): body})
    with pytest.raises(SourceError, match="field 'value' is not a count") as exc:
        await jira_cloud.fetch(up.client(), make_app())
    assert exc.value.reason == "invalid_response"
    assert exc.value.path == COUNT.format("jira-software")


async def test_a_non_admin_gets_403_with_the_documented_body() -> None:
    forbidden = json_response(fixture("jira-cloud/forbidden.json"), 403)
    up = upstream(**{ROLES: forbidden})
    with pytest.raises(SourceError) as exc:
        await jira_cloud.fetch(up.client(), make_app())
    assert (exc.value.reason, exc.value.path) == ("http_403", ROLES)


async def test_reads_the_version_3_api_with_e_mail_and_token() -> None:
    import base64

    app = make_app(
        "cloud",
        "jira-cloud",
        link={"basic_auth": {"username": "me@example.com", "password": "api-token"}},
    )
    up = upstream()
    await jira_cloud.fetch(up.client(app), app)
    assert sorted(r.url.path.removeprefix("/ctx") for r in up.requests) == sorted(
        [ROLES, LICENSE]
        + [COUNT.format(k) for k in ("jira-software", "jira-core", "jira-product-discovery")]
        + [MEMBERS] * GROUPS
    )
    header = up.requests[0].headers["Authorization"].split()[1]
    assert base64.b64decode(header).decode() == "me@example.com:api-token"


# Distinct groups of the roles in the fixture (jira-software: 2, jira-core and
# jira-product-discovery: 1 each).
GROUPS = 4


async def test_group_members_are_asked_by_group_id_labelled_by_name() -> None:
    app = make_app("cloud", "jira-cloud")
    up = upstream(**{MEMBERS: fixture("jira-cloud/group_member.json")})
    snapshot = await jira_cloud.fetch(up.client(app), app)
    assert snapshot.products[0].groups == (("jira-software-users", 5), ("jira-testers", 5))
    asked = [r.url.params for r in up.requests if r.url.path == "/ctx" + MEMBERS]
    assert len(asked) == GROUPS
    # Group names can change on Cloud: the id from groupDetails is what is asked for.
    assert "276f955c-63d7-42c8-9520-92d01dca0625" in {p.get("groupId") for p in asked}
    assert all("groupname" not in p and p["maxResults"] == "1" for p in asked)
