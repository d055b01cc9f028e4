from __future__ import annotations

import logging

import pytest

from exporter.config.users import ScanSettings
from exporter.sources import confluence_users
from exporter.sources.model import ProductUsers, UsersSnapshot
from tests.factories import Upstream, fixture, make_app, pages

ACTIVE = "/rest/api/user/list/active"
ADMIN_ACTIVE = "/rest/api/admin/users/list/active"
NOW = 1_750_000_000.0  # 2025-06-15T15:06:40Z
DAY = 86400.0
SETTINGS = ScanSettings((("30d", 30 * DAY), ("90d", 90 * DAY)))
LISTING = pages({s: fixture(f"confluence/active_users_{s}.json") for s in (0, 2)})


async def scan(up: Upstream) -> UsersSnapshot:
    app = make_app("wiki", "confluence")
    return await confluence_users.scan(up.client(app), app, SETTINGS, NOW)


async def test_active_users_with_last_login_follow_the_next_link() -> None:
    up = Upstream({ACTIVE: LISTING})
    # jcitizen logged in yesterday, newbie never, otimer on 2025-01-01 (ISO with +0000).
    assert await scan(up) == UsersSnapshot(
        (ProductUsers("confluence", 3, 1, (("30d", 2), ("90d", 2))),)
    )
    assert [dict(r.url.params) for r in up.requests] == [
        {"expand": "lastLogin", "start": "0", "limit": "1000"},
        {"expand": "lastLogin", "start": "2", "limit": "1000"},
    ]


async def test_the_documented_admin_path_is_tried_when_the_first_is_missing() -> None:
    up = Upstream({ADMIN_ACTIVE: LISTING})
    (product,) = (await scan(up)).products
    assert product.licensed == 3
    assert [r.url.path for r in up.requests][:2] == ["/ctx" + ACTIVE, "/ctx" + ADMIN_ACTIVE]


async def test_before_9_3_there_is_nothing_to_scan_and_that_is_no_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    assert await scan(Upstream({})) == UsersSnapshot(())
    assert "user scan not available application=wiki" in caplog.text


async def test_an_empty_listing_still_reports_the_product() -> None:
    empty = {"results": [], "start": 0, "limit": 200, "size": 0, "_links": {}}
    assert await scan(Upstream({ACTIVE: empty})) == UsersSnapshot(
        (ProductUsers("confluence", 0, 0, (("30d", 0), ("90d", 0))),)
    )
