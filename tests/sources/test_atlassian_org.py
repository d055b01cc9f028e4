"""Atlassian organizations from documented bodies: seats and user counts of one site, cursor
paging, and resuming at the refused page after a 429."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from exporter.config.users import ScanSettings, UserDetail
from exporter.sources import atlassian_org
from exporter.sources.model import ProductLicense, ProductUsers, SourceError
from tests.factories import Upstream
from tests.sources.org_upstream import CURSOR, FIRST, PATH, SECOND, app, listing

NOW = 1_796_083_200.0  # 2026-12-01T00:00:00Z
SETTINGS = ScanSettings.of(("30d", "90d", "180d"), UserDetail(inactive_for="90d", max_users=5))


def seats(*products: tuple[str, int]) -> tuple[ProductLicense, ...]:
    return tuple(ProductLicense(p, n, None, None, limit_reported=False) for p, n in products)


DAY = 86400.0
MIA, STEPHANE = "5b10a2844c20165700ede21g", "557058:1368c49b-068b-45a8-9d9f-bb94661d0175"
OLD = "5c7d8e9f0a1b2c3d4e5f6a7b"
MAY_2, JUNE_15, FEB_1 = 1_777_716_000.0, 1_781_524_800.0, 1_769_904_000.0
EXPECTED = (
    ProductUsers("confluence", 2, 0, (("30d", 2), ("90d", 2), ("180d", 1)),
                 ((MIA, MAY_2), (OLD, JUNE_15))),
    ProductUsers("jira-servicedesk", 1, 0, (("30d", 1), ("90d", 1), ("180d", 1)), ((OLD, FEB_1),)),
    ProductUsers("jira-software", 2, 1, (("30d", 1), ("90d", 1), ("180d", 1)), ((STEPHANE, 0.0),)),
)  # fmt: skip


async def test_seats_are_billable_active_accounts_with_the_product_on_the_site() -> None:
    # Suspended Sam (inactive) and the non-billable account hold no seat; acme-labs is
    # another site; products nobody holds a seat of would still show, with 0.
    snapshot = await atlassian_org.fetch(Upstream({PATH: listing()}).client(app()), app())
    assert snapshot.products == seats(
        ("confluence", 2), ("jira-servicedesk", 1), ("jira-software", 2)
    )
    assert all(not p.unlimited for p in snapshot.products)


async def test_inactive_and_never_active_by_each_products_own_last_activity() -> None:
    # Mia was active yesterday, but not in Confluence since May: Confluence counts her.
    got = await atlassian_org.scan(Upstream({PATH: listing()}).client(app()), app(), SETTINGS, NOW)
    assert got.products == EXPECTED
    names = [n for p in got.products for n, _ in p.detail]
    assert all("@" not in n for n in names)  # account ids, never e-mail addresses


async def test_excluded_users_hold_seats_but_are_not_counted_as_inactive() -> None:
    settings = ScanSettings(SETTINGS.periods, SETTINGS.detail_after, 5, (re.compile("Old Timer"),))
    got = await atlassian_org.scan(Upstream({PATH: listing()}).client(app()), app(), settings, NOW)
    conf = next(p for p in got.products if p.product == "confluence")
    assert conf.inactive == (("30d", 1), ("90d", 1), ("180d", 1)) and conf.detail == ((MIA, MAY_2),)
    assert conf.excluded == 1  # matched by its name, not its account id
    by_id = ScanSettings(SETTINGS.periods, exclude=(re.compile("557058:.*"),))
    got = await atlassian_org.scan(Upstream({PATH: listing()}).client(app()), app(), by_id, NOW)
    software = next(p for p in got.products if p.product == "jira-software")
    # As for every type: an excluded account still holds its seat (licensed) and is counted
    # in users_excluded, never as inactive or never active.
    assert (software.never_active, software.licensed, software.excluded) == (0, 2, 1)


async def test_a_429_mid_listing_resumes_at_the_refused_page_with_the_counts_so_far() -> None:
    upstream = Upstream({PATH: listing(refuse=1)})
    client = upstream.client(app())
    with pytest.raises(SourceError) as refused:
        await atlassian_org.scan(client, app(), SETTINGS, NOW)
    assert refused.value.reason == "http_429" and refused.value.retry_after == 30
    assert [r.url.params.get("cursor") for r in upstream.requests] == [None, CURSOR]
    # Later, and with another `now`: the resumed pass reads the refused page only, and judges
    # every account by the time the pass started.
    got = await atlassian_org.scan(client, app(), SETTINGS, NOW + 40 * DAY)
    assert [r.url.params.get("cursor") for r in upstream.requests] == [None, CURSOR, CURSOR]
    assert got.products == EXPECTED
    # The seats sync keeps its own checkpoint; a finished pass leaves none behind.
    assert "users" not in client.checkpoints and "seats" not in client.checkpoints


async def test_a_broken_page_starts_the_next_pass_over() -> None:
    broken = copy.deepcopy(SECOND)
    broken["data"] = {"not": "a list"}
    upstream = Upstream({PATH: listing(second=broken)})
    client = upstream.client(app())
    with pytest.raises(SourceError) as caught:
        await atlassian_org.fetch(client, app())
    assert caught.value.reason == "invalid_response"
    assert "seats" not in client.checkpoints


async def test_links_next_as_a_url_is_read_for_its_cursor_and_never_followed() -> None:
    first = copy.deepcopy(FIRST)
    first["links"]["next"] = f"https://elsewhere.example/admin/v1/orgs/org-1/users?cursor={CURSOR}"
    upstream = Upstream({PATH: listing(first=first)})
    snapshot = await atlassian_org.fetch(upstream.client(app()), app())
    assert [p.seats_used for p in snapshot.products] == [2, 1, 2]
    assert {r.url.host for r in upstream.requests} == {"upstream.test"}


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ({"next": None}, None),
        ({"next": 7}, "links.next is not a string"),
        ({"next": "/admin/v1/orgs/org-1/users?limit=5"}, "links.next has no cursor"),
    ],
)
async def test_links_next_shapes(links: dict[str, Any], message: str | None) -> None:
    first = {**FIRST, "links": links}
    client = Upstream({PATH: listing(first=first)}).client(app())
    if message is None:  # no next page: the listing ends
        assert len((await atlassian_org.fetch(client, app())).products) == 2
        return
    with pytest.raises(SourceError, match=re.escape(message)):
        await atlassian_org.fetch(client, app())


async def test_a_cursor_that_repeats_fails_instead_of_looping() -> None:
    again = {**SECOND, "links": {"next": CURSOR}}
    client = Upstream({PATH: listing(second=again)}).client(app())
    with pytest.raises(SourceError, match="paging does not advance"):
        await atlassian_org.fetch(client, app())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"account_id": None}, "an account has no 'account_id'"),
        ({"access_billable": "yes"}, "field 'access_billable' is not a boolean"),
        ({"product_access": {"key": "x"}}, "product_access: expected a JSON array"),
    ],
)
async def test_broken_accounts_name_the_field(change: dict[str, Any], message: str) -> None:
    first = copy.deepcopy(FIRST)
    first["data"][0].update(change)
    client = Upstream({PATH: listing(first=first)}).client(app())
    with pytest.raises(SourceError, match=re.escape(message)):
        await atlassian_org.fetch(client, app())


async def test_an_account_without_access_billable_holds_no_seat_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = copy.deepcopy(FIRST)
    del first["data"][1]["access_billable"]  # Stephane: jira-software only
    caplog.set_level("INFO", logger="exporter.sources.atlassian_org")
    snapshot = await atlassian_org.fetch(
        Upstream({PATH: listing(first=first)}).client(app()), app()
    )
    assert snapshot.products == seats(
        ("confluence", 2), ("jira-servicedesk", 1), ("jira-software", 1)
    )
    assert (
        "accounts without access_billable, not counted as seats application=cloud-acme count=1"
        in caplog.text
    )


def test_a_checkpoint_store_is_empty_until_a_put_and_takes_once() -> None:
    from exporter.sources.checkpoint import Checkpoints

    store = Checkpoints()
    assert "users" not in store and store.take("users") is None
    store.put("users", {"cursor": "c2"})
    assert "users" in store and store.take("users") == {"cursor": "c2"}
    assert "users" not in store and store.take("users") is None
    assert not hasattr(store, "__dict__")  # slotted: one per application (issue #15)
