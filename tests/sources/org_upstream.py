"""An organization admin API upstream from documented bodies (tests/fixtures/atlassian-org/):
two pages of managed accounts by cursor, and a 429 for the second page on request. Shared by
the source, collector and poller tests."""

from __future__ import annotations

from typing import Any

import httpx

from exporter.apptypes.atlassian_org import AtlassianOrgApplication
from tests.factories import fixture, json_response, make_app

PATH = "/admin/v1/orgs/org-1/users"
FIRST, SECOND = fixture("atlassian-org/users_0.json"), fixture("atlassian-org/users_1.json")
CURSOR = FIRST["links"]["next"]


def app(**extra: Any) -> AtlassianOrgApplication:
    made = make_app(
        "cloud-acme", "atlassian-org", org_id="org-1", site="acme.atlassian.net", **extra
    )
    assert isinstance(made, AtlassianOrgApplication)
    return made


def listing(first: Any = FIRST, second: Any = SECOND, *, refuse: int = 0) -> Any:
    """The two pages by cursor; the first `refuse` requests for the second page get a 429."""
    refused = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return json_response(first)
        if cursor != CURSOR:
            return json_response({"code": 400, "message": "Invalid page cursor"}, 400)
        if refused[0] < refuse:
            refused[0] += 1
            return json_response({"code": 429}, 429, {"Retry-After": "30"})
        return json_response(second)

    return handler
