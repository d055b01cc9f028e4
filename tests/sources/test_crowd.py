from __future__ import annotations

import json
from typing import Any

import pytest

from exporter.config.users import ScanSettings
from exporter.sources import crowd
from exporter.sources.model import ProductLicense, ProductUsers, SourceError
from tests.factories import Upstream, fixture, make_app
from tests.sources.crowd_upstream import BASE, upstream

NOW = 1_750_000_000.0
DAY = 86400.0


def jira_app() -> Any:
    return make_app("jira-prod", "crowd", crowd_application_id=3, crowd_application_type="jira")


async def test_a_jira_application_has_one_product_per_jira_type() -> None:
    snapshot = await crowd.fetch(upstream().client(), jira_app())
    # The documented /jira-types example also lists bitbucket and confluence: not Jira types.
    assert snapshot.products == (
        ProductLicense("jira-servicedesk", 52, 50, -2, data_timestamp=1749996000.0),
        ProductLicense("jira-software", 431, 500, 69, data_timestamp=1749996000.0),
        ProductLicense("jira-core", 17, None, None, data_timestamp=1749822300.0),
    )


async def test_paths_are_under_rest_admin_not_the_doc_bug_rest_rest() -> None:
    up = upstream()
    await crowd.fetch(up.client(), jira_app())
    got = sorted(str(r.url).removeprefix("http://upstream.test") for r in up.requests)
    assert got == [
        f"/ctx{BASE}/jira-types",
        f"/ctx{BASE}/summary?jiraType=jira-core",
        f"/ctx{BASE}/summary?jiraType=jira-servicedesk",
        f"/ctx{BASE}/summary?jiraType=jira-software",
    ]


async def test_a_confluence_application_has_one_summary() -> None:
    app = make_app("wiki", "crowd", crowd_application_id=7, crowd_application_type="confluence")
    up = Upstream({"/rest/admin/1.0/licensing/7/summary": fixture("crowd/summary_confluence.json")})
    snapshot = await crowd.fetch(up.client(app), app)
    assert snapshot.products == (
        ProductLicense("confluence", 212, 250, 38, data_timestamp=1749999600.0),
    )
    assert [r.url.path for r in up.requests] == ["/ctx/rest/admin/1.0/licensing/7/summary"]


async def test_no_jira_type_is_a_clear_failure() -> None:
    up = Upstream({f"{BASE}/jira-types": {"values": [{"key": "confluence"}]}})
    with pytest.raises(SourceError, match="no Jira type for application 3") as exc:
        await crowd.fetch(up.client(), jira_app())
    assert exc.value.reason == "invalid_response"


async def test_a_summary_without_counts_is_invalid() -> None:
    body = fixture("crowd/summary_jira-software.json")
    del body["totalLicensedUsers"]
    app = make_app("x", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    with pytest.raises(SourceError, match="'totalLicensedUsers' is missing"):
        await crowd.fetch(Upstream({f"{BASE}/summary": body}).client(app), app)


async def test_licensed_users_are_paged_and_counted_per_jira_type() -> None:
    up = upstream()
    settings = ScanSettings(
        (("30d", 30 * DAY), ("90d", 90 * DAY), ("180d", 180 * DAY)), 90 * DAY, 10
    )
    snapshot = await crowd.scan_users(up.client(), jira_app(), settings, NOW)
    empty = (("30d", 0), ("90d", 0), ("180d", 0))
    assert snapshot.products == (
        ProductUsers("jira-servicedesk", 0, 0, empty),
        ProductUsers(
            "jira-software",
            5,
            1,
            (("30d", 3), ("90d", 3), ("180d", 2)),
            # mary@example.com is inactive too, but an e-mail address is never a label value.
            (("newbie", 0.0), ("otimer", NOW - 100 * DAY)),
        ),
        ProductUsers("jira-core", 0, 0, empty),
    )
    searches = [r for r in up.requests if r.url.path.endswith("/search")]
    assert [(json.loads(r.content), r.url.params["start"]) for r in searches] == [
        ({"jiraType": "jira-servicedesk"}, "0"),
        ({"jiraType": "jira-software"}, "0"),
        ({"jiraType": "jira-software"}, "3"),  # the server gave 3 of the 1000 asked for
        ({"jiraType": "jira-core"}, "0"),
    ]


async def test_a_non_jira_application_searches_without_criteria() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    up = upstream()
    snapshot = await crowd.scan_users(up.client(app), app, ScanSettings((("30d", 30 * DAY),)), NOW)
    assert snapshot.products == (ProductUsers("bitbucket", 0, 0, (("30d", 0),)),)
    assert json.loads(up.requests[0].content) == {}
