"""Group members of Jira Data Center and Cloud (the renewal planner's "seats by group"), and
the planner scenario whose seats grow steadily."""

from __future__ import annotations

from exporter.simulator.demo import planner_instances
from exporter.simulator.groups import ADMINS, group_id
from exporter.simulator.model import DAY
from tests.factories import FakeClock
from tests.simulator.instances import ADMIN, T0, MakeClient, cloud_instance, jira_instance
from tests.simulator.instances import CLOUD_TOKEN as TOKEN

MEMBERS = "/jira-a/rest/api/2/group/member"


async def test_each_role_group_has_a_total_and_pages_of_members(make_client: MakeClient) -> None:
    _, client = await make_client([jira_instance()])
    roles = await (await client.get("/jira-a/rest/api/2/applicationrole", headers=ADMIN)).json()
    seats = {r["key"]: r["userCount"] for r in roles}
    one = await client.get(MEMBERS, params={"groupname": "jira-software-users", "maxResults": "1"})
    assert one.status == 401  # an admin resource: no anonymous access
    page = await (
        await client.get(
            MEMBERS,
            params={"groupname": "jira-software-users", "maxResults": "1"},
            headers=ADMIN,
        )
    ).json()
    assert page["total"] == seats["jira-software"]
    assert (page["maxResults"], page["startAt"], page["isLast"]) == (1, 0, False)
    assert [v["name"] for v in page["values"]] == ["jira-software-user0"]
    admins = await (
        await client.get(MEMBERS, params={"groupname": "jira-administrators"}, headers=ADMIN)
    ).json()
    assert admins["total"] == ADMINS and admins["isLast"] and len(admins["values"]) == ADMINS
    for group in {g for r in roles for g in r["groups"]}:
        response = await client.get(MEMBERS, params={"groupname": group}, headers=ADMIN)
        assert response.status == 200, group
    missing = await client.get(MEMBERS, params={"groupname": "nobody"}, headers=ADMIN)
    assert missing.status == 404


async def test_cloud_answers_by_group_id(make_client: MakeClient) -> None:
    _, client = await make_client([cloud_instance()])
    roles = await (await client.get("/site/rest/api/3/applicationrole", headers=TOKEN)).json()
    details = {d["name"]: d["groupId"] for r in roles for d in r["groupDetails"]}
    assert details["jira-software-users"] == group_id("site", "jira-software-users")
    page = await (
        await client.get(
            "/site/rest/api/3/group/member",
            params={"groupId": details["jira-software-users"], "maxResults": "1"},
            headers=TOKEN,
        )
    ).json()
    assert page["total"] == roles[0]["userCount"]
    assert "accountId" in page["values"][0]


async def test_the_planner_scenario_grows_steadily_towards_its_limit(
    make_client: MakeClient, clock: FakeClock
) -> None:
    instances = planner_instances(now=T0, per_day=10.0)
    assert [i.name for i in instances][-1] == "jira-growth"
    _, client = await make_client([i for i in instances if i.name == "jira-growth"])
    path = "/jira-growth/rest/api/2/applicationrole/jira-software"
    before = (await (await client.get(path, headers=ADMIN)).json())["userCount"]
    clock.advance(3 * DAY)
    after = (await (await client.get(path, headers=ADMIN)).json())["userCount"]
    assert after - before == 30
    license_ = await (
        await client.get(
            "/jira-growth/rest/plugins/applications/1.0/installed/jira-software/license",
            headers=ADMIN,
        )
    ).json()
    assert license_["expiryDate"] == (T0 + 60 * DAY) * 1000  # renewal within 120 days
