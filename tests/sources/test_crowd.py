from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from exporter.config.users import ScanSettings
from exporter.sources import crowd
from exporter.sources.model import CrowdData, ProductLicense, ProductUsers, SourceError
from tests.factories import Upstream, fixture, json_response, make_app
from tests.sources.crowd_upstream import BASE, search, upstream

NOW = 1_750_000_000.0
DAY = 86400.0
SETTINGS = ScanSettings((("30d", 30 * DAY), ("90d", 90 * DAY), ("180d", 180 * DAY)), 90 * DAY, 10)


def jira_app() -> Any:
    return make_app("jira-prod", "crowd", crowd_application_id=3, crowd_application_type="jira")


def by_directory(software: int, desk: int) -> tuple[tuple[str, int], ...]:
    return (("Crowd users directory", software), ("My awesome directory", desk))


async def test_a_jira_application_has_one_product_per_jira_type() -> None:
    snapshot = await crowd.fetch(upstream().client(), jira_app())
    # The documented /jira-types example also lists bitbucket and confluence: not Jira types.
    assert snapshot.products == (
        ProductLicense("jira-servicedesk", 52, 50, -2, data_timestamp=1749996000.0),
        ProductLicense("jira-software", 431, 500, 69, data_timestamp=1749996000.0),
        ProductLicense("jira-core", 17, None, None, data_timestamp=1749822300.0),
    )
    assert snapshot.crowd == (
        CrowdData("jira-servicedesk", "PRESENT", 57),
        CrowdData("jira-software", "PRESENT", 57),
        CrowdData("jira-core", "PRESENT", 12),
    )
    assert snapshot.crowd_directories == 2  # the largest of the types' numberOfDirectories


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


async def test_per_directory_totals_come_from_searches_filtered_by_directory() -> None:
    app = make_app("wiki", "crowd", crowd_application_id=3, crowd_application_type="confluence")
    up = upstream()
    snapshot = await crowd.scan_users(up.client(app), app, SETTINGS, NOW)
    assert snapshot.products[0].by_directory == by_directory(200, 12)
    listed = [str(r.url) for r in up.requests if r.url.path.endswith("/directories")]
    # The directory list and its per-directory searches read the scan's pinned data version.
    assert listed == [
        f"http://upstream.test/ctx{BASE}/directories?version=31&start=0&limit=1000",
        f"http://upstream.test/ctx{BASE}/directories?version=31&start=2&limit=1000",
    ]
    searches = [r for r in up.requests if r.url.path.endswith("/search")]
    assert [(json.loads(r.content), dict(r.url.params)) for r in searches[1:]] == [
        ({"searchVersion": 31, "directoryId": "743"}, {"start": "0", "limit": "1"}),
        ({"searchVersion": 31, "directoryId": "9714"}, {"start": "0", "limit": "1"}),
    ]


async def test_a_confluence_application_has_one_summary() -> None:
    app = make_app("wiki", "crowd", crowd_application_id=7, crowd_application_type="confluence")
    up = Upstream({"/rest/admin/1.0/licensing/7/summary": fixture("crowd/summary_confluence.json")})
    snapshot = await crowd.fetch(up.client(app), app)
    assert snapshot.products == (
        ProductLicense("confluence", 212, 250, 38, data_timestamp=1749999600.0),
    )
    assert snapshot.crowd == (CrowdData("confluence", "PRESENT", 31),)
    assert [r.url.path for r in up.requests] == ["/ctx/rest/admin/1.0/licensing/7/summary"]


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ("documented/crowd_summary_not_configured.json", "NOT_CONFIGURED"),
        ("documented/crowd_summary_loading.json", "LOADING"),
    ],
)
async def test_a_summary_without_data_has_a_status_and_no_seats(body: str, state: str) -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    up = Upstream({f"{BASE}/summary": fixture(body)})
    snapshot = await crowd.fetch(up.client(app), app)
    # Its zeros are Java defaults, not a license with no seats.
    assert snapshot.products == ()
    assert snapshot.crowd == (CrowdData("bitbucket", state),)
    assert snapshot.crowd_directories is None
    assert len(up.requests) == 1


async def test_an_unknown_status_is_other_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app("odd", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    body = fixture("documented/crowd_summary_loading.json") | {"status": "REFRESHING"}
    up = Upstream({f"{BASE}/summary": body})
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        snapshot = await crowd.fetch(up.client(app), app)
        assert snapshot.crowd == (CrowdData("bitbucket", "other"),)
    logged = [r for r in caplog.records if "unknown Crowd licensing status" in r.getMessage()]
    assert len(logged) == 1 and "REFRESHING" in logged[0].getMessage()


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
    snapshot = await crowd.scan_users(up.client(), jira_app(), SETTINGS, NOW)
    empty = (("30d", 0), ("90d", 0), ("180d", 0))
    assert snapshot.products == (
        ProductUsers("jira-servicedesk", 0, 0, empty, by_directory=by_directory(52, 0)),
        ProductUsers(
            "jira-software",
            5,
            1,
            (("30d", 3), ("90d", 3), ("180d", 2)),
            # mary@example.com is inactive too, but an e-mail address is never a label value.
            (("newbie", 0.0), ("otimer", NOW - 100 * DAY)),
            by_directory=by_directory(400, 31),
        ),
        ProductUsers("jira-core", 0, 0, empty, by_directory=by_directory(17, 0)),
    )
    searches = [
        r
        for r in up.requests
        if r.url.path.endswith("/search") and "directoryId" not in json.loads(r.content)
    ]
    # Each product's pages read the version its summary named (LicensedUserSearchParameters).
    assert [(json.loads(r.content), r.url.params["start"]) for r in searches] == [
        ({"jiraType": "jira-servicedesk", "searchVersion": 57}, "0"),
        ({"jiraType": "jira-software", "searchVersion": 57}, "0"),
        ({"jiraType": "jira-software", "searchVersion": 57}, "3"),  # 3 of the 1000 asked for
        ({"jiraType": "jira-core", "searchVersion": 12}, "0"),
    ]


async def test_a_non_jira_application_searches_by_version_only() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    up = upstream()
    snapshot = await crowd.scan_users(up.client(app), app, ScanSettings((("30d", 30 * DAY),)), NOW)
    (product,) = snapshot.products
    assert (product.product, product.licensed) == ("bitbucket", 0)
    searches = [r for r in up.requests if r.url.path.endswith("/search")]
    assert [json.loads(r.content) for r in searches] == [
        {"searchVersion": 31},
        {"searchVersion": 31, "directoryId": "743"},
        {"searchVersion": 31, "directoryId": "9714"},
    ]


async def test_a_product_crowd_has_no_data_for_is_not_counted() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    up = Upstream(
        {
            f"{BASE}/summary": fixture("documented/crowd_summary_loading.json"),
            f"{BASE}/licensed-users/search": search,
        }
    )
    snapshot = await crowd.scan_users(up.client(app), app, SETTINGS, NOW)
    assert snapshot.products == ()
    assert not [r for r in up.requests if r.url.path.endswith("/search")]


class MovingCrowd:
    """A Crowd whose data version moves after the searches numbered in `moves`."""

    def __init__(self, *moves: int) -> None:
        self.moves, self.searches, self.version = moves, 0, 31

    def summary(self, request: httpx.Request) -> httpx.Response:
        return json_response(fixture("crowd/summary_confluence.json") | {"version": self.version})

    def search(self, request: httpx.Request) -> httpx.Response:
        self.searches += 1
        if self.searches in self.moves:
            self.version += 1
        return json_response(fixture("crowd/licensed-users_jira-software_3.json"))

    def upstream(self) -> Upstream:
        return Upstream(
            {f"{BASE}/summary": self.summary, f"{BASE}/licensed-users/search": self.search}
        )


async def test_a_version_move_mid_scan_restarts_once_on_the_new_version() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    moving = MovingCrowd(1)
    up = moving.upstream()
    snapshot = await crowd.scan_users(up.client(app), app, SETTINGS, NOW)
    (product,) = snapshot.products
    assert product.licensed == 2  # counted once, from the restarted pass only
    searches = [json.loads(r.content) for r in up.requests if r.url.path.endswith("/search")]
    assert searches == [{"searchVersion": 31}, {"searchVersion": 32}]


async def test_a_second_move_fails_the_scan_with_a_clear_reason() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    up = MovingCrowd(1, 2).upstream()
    with pytest.raises(SourceError) as exc:
        await crowd.scan_users(up.client(app), app, SETTINGS, NOW)
    assert exc.value.reason == "invalid_response"
    assert exc.value.path == f"{BASE}/summary"
    assert "moved twice during one user scan" in exc.value.message
    assert "version 31 -> 32, then 32 -> 33" in exc.value.message


async def test_the_version_is_a_java_long() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    body = fixture("crowd/summary_confluence.json") | {"version": 2**40}
    snapshot = await crowd.fetch(Upstream({f"{BASE}/summary": body}).client(app), app)
    assert snapshot.crowd == (CrowdData("bitbucket", "PRESENT", 2**40),)
