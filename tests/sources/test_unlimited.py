"""Unlimited licenses as Atlassian documents them: a limit of Integer.MAX_VALUE (2^31 - 1) or
more is no limit, for every product; Confluence's remaining seats may then be absent."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from exporter.sources import bitbucket, confluence, crowd, jira
from exporter.sources.model import ProductLicense, SourceError
from tests.factories import Upstream, fixture, make_app
from tests.states import registry, state

CONFLUENCE = "/rest/license/1.0/license"
MAX_VALUE = 2**31 - 1


def confluence_routes(remaining: object) -> dict[str, object]:
    routes: dict[str, object] = {
        f"{CONFLUENCE}/userCount": fixture("confluence/userCount.json"),
        f"{CONFLUENCE}/maxUsers": fixture("documented/confluence_maxUsers_unlimited.json"),
    }
    if remaining is not None:
        routes[f"{CONFLUENCE}/remainingSeats"] = remaining
    return routes


@pytest.mark.parametrize(
    "remaining",
    [
        pytest.param({"count": MAX_VALUE - 452}, id="count"),
        pytest.param(fixture("documented/confluence_remainingSeats_no_count.json"), id="no-count"),
        pytest.param({"count": None}, id="null"),
        pytest.param(None, id="404"),
    ],
)
async def test_confluence_max_value_is_unlimited_whatever_remaining_says(remaining: object) -> None:
    app = make_app(type="confluence")
    snapshot = await confluence.fetch(Upstream(confluence_routes(remaining)).client(), app)
    assert snapshot.products == (ProductLicense("confluence", 452, None, None),)


async def test_confluence_limited_license_still_needs_remaining_seats() -> None:
    routes = confluence_routes(None)
    routes[f"{CONFLUENCE}/maxUsers"] = {"count": 500}
    with pytest.raises(SourceError) as exc:
        await confluence.fetch(Upstream(routes).client(), make_app(type="confluence"))
    assert (exc.value.reason, exc.value.path) == ("http_404", f"{CONFLUENCE}/remainingSeats")


async def test_jira_role_with_max_value_seats_is_unlimited() -> None:
    routes = {jira.ROLES: fixture("documented/jira_applicationrole_max_value.json")}
    snapshot = await jira.fetch(Upstream(routes).client(), make_app())
    assert snapshot.products == (ProductLicense("jira-software", 290, None, None),)


async def test_bitbucket_max_value_is_unlimited_without_the_flag() -> None:
    routes = {bitbucket.LICENSE: fixture("documented/bitbucket_admin_license_max_value.json")}
    snapshot = await bitbucket.fetch(Upstream(routes).client(), make_app(type="bitbucket"))
    product = snapshot.products[0]
    assert (product.seats_used, product.seats_limit, product.seats_remaining) == (421, None, None)
    assert product.unlimited


async def test_crowd_max_value_is_unlimited() -> None:
    app = make_app("wiki", "crowd", crowd_application_id=7, crowd_application_type="confluence")
    body = fixture("documented/crowd_summary_max_value.json")
    up = Upstream({"/rest/admin/1.0/licensing/7/summary": body})
    product = (await crowd.fetch(up.client(app), app)).products[0]
    assert (product.seats_used, product.seats_limit, product.seats_remaining) == (212, None, None)


@pytest.mark.parametrize("limit", [MAX_VALUE + 1, 2**63 - 1])
async def test_limits_beyond_a_java_int_are_unlimited_too(limit: int) -> None:
    body = fixture("documented/bitbucket_admin_license_max_value.json") | {
        "maximumNumberOfUsers": limit
    }
    snapshot = await bitbucket.fetch(
        Upstream({bitbucket.LICENSE: body}).client(), make_app(type="bitbucket")
    )
    assert snapshot.products[0].unlimited


async def test_a_limit_beyond_a_java_long_is_a_broken_response() -> None:
    body = fixture("documented/bitbucket_admin_license_max_value.json") | {
        "maximumNumberOfUsers": 2**64
    }
    with pytest.raises(SourceError, match="out of range"):
        await bitbucket.fetch(
            Upstream({bitbucket.LICENSE: body}).client(), make_app(type="bitbucket")
        )


async def test_one_below_max_value_is_a_real_limit() -> None:
    body = fixture("documented/bitbucket_admin_license_max_value.json") | {
        "maximumNumberOfUsers": MAX_VALUE - 1
    }
    snapshot = await bitbucket.fetch(
        Upstream({bitbucket.LICENSE: body}).client(), make_app(type="bitbucket")
    )
    assert snapshot.products[0].seats_limit == MAX_VALUE - 1


async def test_the_exposition_of_a_max_value_license_is_unlimited() -> None:
    app = make_app(type="confluence")
    snapshot = await confluence.fetch(Upstream(confluence_routes(None)).client(), app)
    text = generate_latest(registry(state("wiki", "confluence", snapshot=snapshot))).decode()
    lines = [line for line in text.splitlines() if line.startswith("atlassian_license_seats")]
    assert lines == [
        'atlassian_license_seats_used{application="wiki",product="confluence"} 452.0',
        'atlassian_license_seats_unlimited{application="wiki",product="confluence"} 1.0',
    ]
