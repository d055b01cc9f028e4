"""The organization admin API: managed accounts by cursor, the organization, errors, and the
rate limit that answers 429 with Retry-After and X-RateLimit-Reset."""

from __future__ import annotations

from typing import Any

from exporter.simulator.demo import org_instance, with_users
from exporter.simulator.org_users import OrgProduct, OrgUsers
from tests.factories import FakeClock
from tests.simulator.instances import T0, MakeClient

ORG = "org-7"
KEY = {"Authorization": "Bearer org-key"}
USERS = OrgUsers(
    230,
    (
        OrgProduct("a.atlassian.net", "jira-software", 0.8),
        OrgProduct("b.atlassian.net", "confluence", 0.4),
    ),
    seed=3,
    epoch=T0,
)
PATH = f"/org/admin/v1/orgs/{ORG}/users"


def instance(**extra: Any) -> Any:
    return org_instance("org", ORG, USERS, token="org-key", **extra)


async def test_accounts_page_by_cursor_until_links_has_no_next(make_client: MakeClient) -> None:
    _, client = await make_client([instance()])
    seen, cursor, pages = [], None, 0
    while True:
        query = {} if cursor is None else {"cursor": cursor}
        body = await (await client.get(PATH, headers=KEY, params=query)).json()
        pages += 1
        seen += [u["account_id"] for u in body["data"]]
        cursor = body["links"].get("next")
        if cursor is None:
            break
        assert "/" not in cursor and "?" not in cursor  # opaque, as documented
    assert pages == 5 and len(seen) == len(set(seen)) == 230
    kinds = {(u.status, u.billable) for u in USERS.users(0, 230, T0)}
    assert {("active", True), ("active", False), ("inactive", True)} <= kinds
    never = [a for u in USERS.users(0, 230, T0) for a in u.access if a.last_active is None]
    assert never  # products some accounts never used
    first = USERS.user(0, T0).body()
    assert set(first) >= {"account_id", "account_status", "access_billable", "product_access"}


async def test_the_organization_and_errors(make_client: MakeClient) -> None:
    _, client = await make_client([instance()])
    org = await (await client.get(f"/org/admin/v1/orgs/{ORG}", headers=KEY)).json()
    assert org["data"]["id"] == ORG and org["data"]["type"] == "orgs"
    assert (await client.get("/org/admin/v1/orgs/other/users", headers=KEY)).status == 404
    assert (await client.get(PATH, headers=KEY, params={"cursor": "x!"})).status == 400
    assert (await client.get(PATH)).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.get(PATH, headers=wrong)).status == 401


async def test_the_rate_limit_answers_429_until_its_window_ends(
    make_client: MakeClient, clock: FakeClock
) -> None:
    _, client = await make_client([instance(rate_limit=3, rate_window=60.0)])
    statuses = [(await client.get(PATH, headers=KEY)).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    clock.advance(20)
    refused = await client.get(PATH, headers=KEY)
    assert refused.status == 429 and refused.headers["Retry-After"] == "40"
    assert refused.headers["X-RateLimit-Reset"] == "2026-01-01T00:01:00Z"
    clock.advance(40)
    assert (await client.get(PATH, headers=KEY)).status == 200


def test_benchmarks_scale_the_organization() -> None:
    (scaled,) = with_users([instance(rate_limit=5)], 100_000)
    assert scaled.org_users is not None and scaled.org_users.count == 100_000
    assert scaled.rate_limit == 0  # benchmarks measure the exporter, not the rate limit
