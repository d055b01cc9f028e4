"""A Crowd Data Center licensing API made of the documented example bodies (tests/fixtures/crowd).

Shared by the Crowd source tests and the collector's golden exposition.
"""

from __future__ import annotations

import json

import httpx

from tests.factories import Upstream, fixture, json_response

BASE = "/rest/admin/1.0/licensing/3"


def summaries(request: httpx.Request) -> httpx.Response:
    jira_type = request.url.params.get("jiraType")
    return json_response(fixture(f"crowd/summary_{jira_type}.json"))


def search(request: httpx.Request) -> httpx.Response:
    """Crowd's POST search: criteria in the body, paging in the query."""
    assert request.method == "POST"
    criteria = json.loads(request.content)
    start = request.url.params["start"]
    if criteria == {"jiraType": "jira-software"}:
        return json_response(fixture(f"crowd/licensed-users_jira-software_{start}.json"))
    return json_response(fixture("crowd/licensed-users_empty.json"))


def upstream() -> Upstream:
    return Upstream(
        {
            f"{BASE}/jira-types": fixture("crowd/jira-types.json"),
            f"{BASE}/summary": summaries,
            f"{BASE}/licensed-users/search": search,
        }
    )
