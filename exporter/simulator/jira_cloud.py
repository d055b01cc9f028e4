"""Jira Cloud endpoints (reference §1.6, vendor OpenAPI subset of the Jira Cloud platform API):
application roles, the instance license with its plans, the 7-day cached approximate count."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from exporter.simulator.base import Context, Reply, Route, json_reply, route
from exporter.simulator.errors import jira_error
from exporter.simulator.groups import group_id, members
from exporter.simulator.jira import role_body, role_routes, server_time
from exporter.simulator.model import SimProduct

# Atlassian caches the approximate count for up to 7 days.
APPROXIMATE_CACHE = 7 * 86400.0


def _group(ctx: Context, name: str) -> dict[str, Any]:
    ident = group_id(ctx.instance.name, name)
    return {
        "name": name,
        "groupId": ident,
        "self": f"{ctx.base_url}/rest/api/3/group?groupId={ident}",
    }


def _role(ctx: Context, product: SimProduct) -> dict[str, Any]:
    body = role_body(ctx, product)
    # Cloud adds the group details, because group names can change (reference §1.6).
    body["groupDetails"] = [_group(ctx, g) for g in body["groups"]]
    body["defaultGroupsDetails"] = [_group(ctx, g) for g in body["defaultGroups"]]
    body["userCountDescription"] = f"{body['userCount']} {body['userCountDescription']}"
    return body


def _license(ctx: Context, _match: re.Match[str]) -> Reply:
    apps = [{"id": p.key, "plan": p.plan} for p in ctx.instance.products]
    return json_reply({"applications": apps})


def _cached_seats(ctx: Context, product: SimProduct) -> int:
    """The count as of the start of the current 7-day cache period (pins show at once)."""
    cached = ctx.elapsed - ctx.elapsed % APPROXIMATE_CACHE
    return ctx.seats_at(product, cached)


def _approximate(ctx: Context, match: re.Match[str]) -> Reply:
    key = match["key"]
    if key is None:
        total = sum(_cached_seats(ctx, p) for p in ctx.instance.products)
        return json_reply({"key": "license.totalApproximateUserCount", "value": str(total)})
    product = ctx.instance.product(key)
    if product is None:
        return json_reply(jira_error(f"No product with key '{key}' exists."), 404)
    # `value` is a string on the wire (doc value).
    count = str(_cached_seats(ctx, product))
    return json_reply({"key": f"license.{key}.approximateUserCount", "value": count})


def _server_info(ctx: Context, _match: re.Match[str]) -> Reply:
    return json_reply(
        {
            "baseUrl": ctx.base_url,
            "version": ctx.instance.version,
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100_265,
            # RFC 3339 offsets (+00:00), as the schema's date-time format requires; the
            # vendor's own example writes +0000, which that format refuses.
            "buildDate": "2025-06-02T00:00:00.000+00:00",
            "serverTime": server_time(ctx.now).replace("+0000", "+00:00"),
            "scmInfo": hashlib.sha1(ctx.instance.version.encode()).hexdigest(),
            "serverTitle": "Jira",
        }
    )


_API = r"/rest/api/(?:2|3)"
ROUTES: list[Route] = [
    *role_routes(_API, _role),
    # "Permissions required: None", but a login all the same (401 without one).
    route(_API + r"/instance/license", _license, auth=False, login=True),
    route(_API + r"/license/approximateLicenseCount(?:/product/(?P<key>[^/]+))?", _approximate),
    route(_API + r"/serverInfo", _server_info, auth=False),
    route(_API + r"/group/member", lambda ctx, match: members(ctx, match, cloud=True)),
]
