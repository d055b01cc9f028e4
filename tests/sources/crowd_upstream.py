"""A Crowd Data Center licensing API made of the documented example bodies (tests/fixtures/crowd).

Shared by the Crowd source tests and the collector's golden exposition.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.factories import Upstream, fixture, json_response, pages

BASE = "/rest/admin/1.0/licensing/3"
# Licensed users per (Jira type, directory id): the search's `total` with a directoryId.
TOTALS = {
    ("jira-software", "743"): 400,
    ("jira-software", "9714"): 31,
    ("jira-servicedesk", "743"): 52,
    ("jira-servicedesk", "9714"): 0,
    ("jira-core", "743"): 17,
    ("jira-core", "9714"): 0,
    (None, "743"): 200,
    (None, "9714"): 12,
}
# The documented /directories example, then the empty last page it implies.
DIRECTORIES = pages({0: fixture("crowd/directories.json"), 2: fixture("crowd/directories_2.json")})


def summaries(request: httpx.Request) -> httpx.Response:
    jira_type = request.url.params.get("jiraType")
    return json_response(fixture(f"crowd/summary_{jira_type or 'confluence'}.json"))


def search(request: httpx.Request) -> httpx.Response:
    """Crowd's POST search: LicensedUserSearchParameters in the body, paging in the query."""
    assert request.method == "POST"
    criteria = json.loads(request.content)
    if "directoryId" in criteria:
        total = TOTALS[(criteria.get("jiraType"), criteria["directoryId"])]
        return json_response(fixture("documented/crowd_search_total.json") | {"total": total})
    start = request.url.params["start"]
    if criteria.get("jiraType") == "jira-software":
        return json_response(fixture(f"crowd/licensed-users_jira-software_{start}.json"))
    return json_response(fixture("crowd/licensed-users_empty.json"))


def routes() -> dict[str, Any]:
    return {
        f"{BASE}/jira-types": fixture("crowd/jira-types.json"),
        f"{BASE}/summary": summaries,
        f"{BASE}/directories": DIRECTORIES,
        f"{BASE}/licensed-users/search": search,
    }


def upstream() -> Upstream:
    return Upstream(routes())
