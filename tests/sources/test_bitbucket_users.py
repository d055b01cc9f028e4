from __future__ import annotations

import logging

import pytest

from exporter.config.users import ScanSettings
from exporter.sources import bitbucket_users
from exporter.sources.model import ProductUsers, SourceError
from tests.factories import Upstream, fixture, make_app, pages

LICENSED = "/rest/api/1.0/users"
ALL = "/rest/api/1.0/admin/users"
NOW = 1_750_000_000.0
DAY = 86400.0
SETTINGS = ScanSettings((("30d", 30 * DAY), ("90d", 90 * DAY), ("180d", 180 * DAY)), 30 * DAY, 10)


def upstream(**overrides: object) -> Upstream:
    routes: dict[str, object] = {
        # The server capped the limit at 2 and 3: pages start at nextPageStart, not start+1000.
        LICENSED: pages({s: fixture(f"bitbucket/users_licensed_{s}.json") for s in (0, 2, 4)}),
        ALL: pages({s: fixture(f"bitbucket/admin_users_{s}.json") for s in (0, 3, 6)}),
    }
    routes.update(overrides)
    return Upstream(routes)


async def scan(up: Upstream) -> tuple[ProductUsers, ...]:
    app = make_app("bb", "bitbucket")
    return (await bitbucket_users.scan(up.client(app), app, SETTINGS, NOW)).products


async def test_licensed_users_joined_with_their_last_authentication(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    up = upstream()
    # jcitizen 45 days, build-bot a minute, otimer 100 days, newbie never: licensed and listed.
    # contractor is not licensed; latecomer is licensed but missing from admin/users.
    assert await scan(up) == (
        ProductUsers(
            "bitbucket",
            4,
            1,
            (("30d", 3), ("90d", 2), ("180d", 1)),
            (("newbie", 0.0), ("otimer", NOW - 100 * DAY), ("jcitizen", NOW - 45 * DAY)),
        ),
    )
    assert "licensed users missing from admin/users application=bb count=1" in caplog.text
    queries = [(r.url.path.removeprefix("/ctx"), dict(r.url.params)) for r in up.requests]
    assert queries == [
        (LICENSED, {"permission": "LICENSED_USER", "start": "0", "limit": "1000"}),
        (LICENSED, {"permission": "LICENSED_USER", "start": "2", "limit": "1000"}),
        (LICENSED, {"permission": "LICENSED_USER", "start": "4", "limit": "1000"}),
        (ALL, {"start": "0", "limit": "1000"}),
        (ALL, {"start": "3", "limit": "1000"}),  # an empty page that is not the last
        (ALL, {"start": "6", "limit": "1000"}),
    ]


async def test_a_deactivated_user_holds_no_seat_and_repeats_count_once() -> None:
    last = fixture("bitbucket/admin_users_6.json")
    last["values"][1]["active"] = False  # newbie deactivated since the licensed listing
    last["values"].append(fixture("bitbucket/admin_users_6.json")["values"][0])  # otimer again
    (product,) = await scan(upstream(**{ALL: pages({0: fixture("bitbucket/admin_users_0.json"),
                                                    3: fixture("bitbucket/admin_users_3.json"),
                                                    6: last})}))  # fmt: skip
    assert (product.licensed, product.never_active) == (3, 0)
    assert product.inactive == (("30d", 2), ("90d", 1), ("180d", 0))


async def test_a_single_last_page_without_next_page_start() -> None:
    one = {"size": 1, "limit": 1000, "isLastPage": True, "start": 0,
           "values": [{"name": "solo", "active": True}]}  # fmt: skip
    (product,) = await scan(upstream(**{LICENSED: pages({0: one}), ALL: pages({0: one})}))
    assert (product.licensed, product.never_active) == (1, 1)


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"isLastPage": False, "values": []}, "isLastPage is false but nextPageStart is missing"),
        (
            {"isLastPage": False, "nextPageStart": 0, "values": []},
            "paging does not advance: next start 0 <= 0",
        ),
        ({"values": []}, "field 'isLastPage' is missing"),
        ({"isLastPage": True, "values": {"name": "x"}}, "field 'values' is not a JSON array"),
    ],
)
async def test_broken_paging_fails_the_scan(page: dict[str, object], message: str) -> None:
    with pytest.raises(SourceError, match=message) as exc:
        await scan(upstream(**{LICENSED: pages({0: page})}))
    assert (exc.value.reason, exc.value.path) == ("invalid_response", LICENSED)
