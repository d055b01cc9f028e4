"""One odd record never sinks a scan: fields the count does not need may be missing, a
record the count cannot use is skipped and counted, and only a wrong envelope fails."""

from __future__ import annotations

import logging

import pytest

from exporter.sources import bitbucket_users, confluence_users, crowd
from exporter.sources.model import ProductUsers, SourceError
from exporter.sources.users import ScanSettings
from tests.factories import Upstream, fixture, make_app, pages

NOW = 1_750_000_000.0  # 2025-06-15T15:06:40Z
DAY = 86400.0
SETTINGS = ScanSettings((("30d", 30 * DAY),), 30 * DAY, 10)
CROWD = "/rest/admin/1.0/licensing/3"


def crowd_app() -> object:
    return make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")


async def test_crowd_counts_what_it_can_and_skips_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    app = crowd_app()
    up = Upstream(
        {
            f"{CROWD}/summary": fixture("crowd/summary_confluence.json"),
            f"{CROWD}/licensed-users/search": fixture("documented/crowd_licensed-users_odd.json"),
        }
    )
    snapshot = await crowd.scan_users(up.client(app), app, SETTINGS, NOW)  # type: ignore[arg-type]
    # Counted: jcitizen, noname-fields, the record without a username, never (no activity
    # field: never active), lastlogin (the other documented spelling). Skipped: garbled's date,
    # a string, a null.
    assert snapshot.products == (
        ProductUsers(
            "bitbucket",
            5,
            1,
            (("30d", 3),),
            # The user without a name counts but has no series; `never` is never active.
            (("never", 0.0), ("noname-fields", 1741360000.0)),
            skipped=3,
        ),
    )
    (line,) = [r.getMessage() for r in caplog.records if "user record skipped" in r.getMessage()]
    assert "application=bb product=bitbucket" in line


async def test_confluence_counts_a_record_without_a_username() -> None:
    app = make_app("wiki", "confluence")
    listing = pages({0: fixture("documented/confluence_active_users_odd.json")})
    up = Upstream({"/rest/api/user/list/active": listing})
    snapshot = await confluence_users.scan(up.client(app), app, SETTINGS, NOW)
    assert snapshot.products == (ProductUsers("confluence", 2, 1, (("30d", 1),), skipped=2),)


async def test_bitbucket_skips_a_licensed_user_it_cannot_join() -> None:
    licensed = {
        "isLastPage": True,
        "values": [{"name": "jcitizen"}, {"displayName": "No Name"}, "x", {"name": "odd"}],
    }
    everyone = {
        "isLastPage": True,
        "values": [
            {"name": "jcitizen", "active": True, "lastAuthenticationTimestamp": 1749913600000},
            {"displayName": "No Name", "active": True},
            {"name": "odd", "active": True, "lastAuthenticationTimestamp": "yesterday"},
        ],
    }
    up = Upstream(
        {
            bitbucket_users.LICENSED: pages({0: licensed}),
            bitbucket_users.ALL_USERS: pages({0: everyone}),
        }
    )
    app = make_app("bb", "bitbucket")
    snapshot = await bitbucket_users.scan(up.client(app), app, SETTINGS, NOW)
    assert snapshot.products == (ProductUsers("bitbucket", 1, 0, (("30d", 0),), skipped=3),)


@pytest.mark.parametrize(
    "envelope",
    [
        {"values": {"username": "x"}, "isLastPage": True},
        {"results": [], "isLastPage": True},
        ["a", "list"],
    ],
)
async def test_an_envelope_that_is_not_the_endpoints_fails_the_scan(envelope: object) -> None:
    app = crowd_app()
    up = Upstream(
        {
            f"{CROWD}/summary": fixture("crowd/summary_confluence.json"),
            f"{CROWD}/licensed-users/search": envelope,
        }
    )
    with pytest.raises(SourceError) as exc:
        await crowd.scan_users(up.client(app), app, SETTINGS, NOW)  # type: ignore[arg-type]
    assert exc.value.reason == "invalid_response"
