"""User populations and the user-list endpoints of Bitbucket and Confluence 9.3+."""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections import Counter

from exporter.simulator import SimUsers
from exporter.simulator.model import DAY
from tests.simulator.instances import (
    ADMIN,
    T0,
    VIEWER,
    MakeClient,
    bitbucket_instance,
    confluence_instance,
)

POP = SimUsers(1000, seed=7, epoch=T0)


def test_a_population_is_deterministic_from_seed_and_clock() -> None:
    first = list(POP.users(0, 1000, T0))
    assert first == list(POP.users(0, 1000, T0))
    assert first != list(dataclasses.replace(POP, seed=8).users(0, 1000, T0))
    assert len({u.name for u in first}) == 1000
    # Recent users keep coming back: their last activity moves with the clock; old dates stay.
    later = {u.name: u for u in POP.users(0, 1000, T0 + 10 * DAY)}
    moved = [u for u in first if u.last_active and u.last_active > T0 - 30 * DAY]
    fixed = [u for u in first if u.last_active and u.last_active <= T0 - 30 * DAY]
    assert moved and fixed
    assert all(
        later[u.name].last_active == u.last_active + 10 * DAY for u in moved if u.kind == "regular"
    )
    assert all(later[u.name].last_active == u.last_active for u in fixed)


def test_a_population_mixes_realistic_kinds() -> None:
    kinds = Counter(u.kind for u in POP.users(0, 1000, T0))
    assert set(kinds) == {"regular", "never", "service", "email", "unlicensed", "deactivated"}
    assert (kinds["unlicensed"], kinds["deactivated"]) == (100, 40)
    licensed = list(POP.licensed(0, POP.licensed_count, T0))
    assert len(licensed) == POP.licensed_count == 860
    assert all(u.licensed and u.active for u in licensed)
    assert any(u.via_group for u in licensed) and any(not u.via_group for u in licensed)
    assert all(u.last_active is None for u in licensed if u.kind == "never")
    services = [u for u in licensed if u.kind == "service"]
    # Service accounts: svc-* active within the hour, bot-* dormant for 100 to 300 days.
    assert all(T0 - u.last_active < 3600 for u in services if u.name.startswith("svc-"))
    assert all(
        100 * DAY <= POP.epoch - u.last_active <= 300 * DAY
        for u in services
        if u.name.startswith("bot-") and u.last_active
    )
    assert {u.name[:4] for u in services} == {"svc-", "bot-"}
    assert all("@" in u.name for u in licensed if u.kind == "email")
    assert all(not u.active for u in POP.users(0, 1000, T0) if u.kind == "deactivated")


def test_the_licensed_list_is_the_licensed_subset_in_order() -> None:
    every = [u for u in POP.users(0, 1000, T0) if u.licensed]
    assert every == list(POP.licensed(0, POP.licensed_count, T0))
    assert list(POP.licensed(500, 503, T0)) == every[500:503]


def test_a_page_of_100000_users_costs_one_page() -> None:
    big = SimUsers(100_000, seed=1, epoch=T0)
    tracemalloc.start()
    page = list(big.licensed(85_000, 86_000, T0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(page) == 1000 and big.licensed_count == 86_000
    # One page's users in memory, not the 85,000 before it (bench/users.py times the scans).
    assert peak < 2 * 2**20


async def test_bitbucket_lists_licensed_users_and_every_user_with_capped_pages(
    make_client: MakeClient,
) -> None:
    inst = bitbucket_instance()
    inst.products[0].users = SimUsers(250, seed=3, epoch=T0)
    inst.page_cap = 100
    _, client = await make_client([inst])
    url = "/bb-a/rest/api/1.0/users?permission=LICENSED_USER&start=200&limit=1000"
    body = await (await client.get(url, headers=ADMIN)).json()
    # 250 users: 86 + 86 + 50 licensed = 222; the server capped the limit at 100.
    assert (body["start"], body["limit"], body["size"], body["isLastPage"]) == (200, 100, 22, True)
    assert "nextPageStart" not in body
    first = await (await client.get("/bb-a/rest/api/latest/admin/users", headers=ADMIN)).json()
    assert (first["limit"], first["size"], first["nextPageStart"]) == (25, 25, 25)
    assert first["isLastPage"] is False
    every = []
    for start in (0, 100, 200):
        url = f"/bb-a/rest/api/1.0/admin/users?start={start}&limit=100"
        every += (await (await client.get(url, headers=ADMIN)).json())["values"]
    population = list(inst.products[0].users.users(0, 250, T0))  # type: ignore[union-attr]
    assert [u["name"] for u in every] == [u.name for u in population]
    # lastAuthenticationTimestamp is absent exactly for users who never authenticated.
    never = {u["name"] for u in every if "lastAuthenticationTimestamp" not in u}
    assert never == {u.name for u in population if u.last_active is None} != set()
    # Any logged-in user may list users; anonymous may not.
    assert (await client.get("/bb-a/rest/api/1.0/users", headers=VIEWER)).status == 200
    assert (await client.get("/bb-a/rest/api/1.0/users")).status == 401
    assert (
        await client.get("/bb-a/rest/api/1.0/users?permission=NOPE", headers=ADMIN)
    ).status == 400


async def test_an_unfiltered_page_can_be_short_or_empty_but_still_points_on(
    make_client: MakeClient,
) -> None:
    inst = bitbucket_instance()
    inst.products[0].users = SimUsers(200, seed=3, epoch=T0)
    _, client = await make_client([inst])
    # Offsets 96..99 of each block are deactivated: the unfiltered listing skips them.
    body = await (
        await client.get("/bb-a/rest/api/1.0/users?start=96&limit=4", headers=ADMIN)
    ).json()
    assert (body["size"], body["values"], body["isLastPage"], body["nextPageStart"]) == (
        0,
        [],
        False,
        100,
    )


async def test_confluence_lists_active_users_from_9_3(make_client: MakeClient) -> None:
    new, old = confluence_instance("new", version="9.3.2"), confluence_instance("old")
    for inst in (new, old):
        inst.products[0].users = SimUsers(120, seed=5, epoch=T0)
    _, client = await make_client([new, old])
    url = "/new/rest/api/user/list/active?expand=lastLogin&limit=100"
    body = await (await client.get(url, headers=ADMIN)).json()
    assert (body["start"], body["limit"], body["size"]) == (0, 100, 100)
    assert (
        body["_links"]["next"] == "/rest/api/user/list/active?expand=lastLogin&limit=100&start=100"
    )
    assert any("lastLogin" in u for u in body["results"])
    assert all(u["lastLogin"].endswith("Z") for u in body["results"] if "lastLogin" in u)
    rest = await (await client.get(url + "&start=100", headers=ADMIN)).json()
    assert rest["size"] == 106 - 100 and "next" not in rest["_links"]  # 86 + 20 licensed
    plain = await (await client.get("/new/rest/api/user/list/active", headers=ADMIN)).json()
    assert not any("lastLogin" in u for u in plain["results"])  # only when expanded
    assert (await client.get("/old/rest/api/user/list/active", headers=ADMIN)).status == 404
