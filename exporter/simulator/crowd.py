"""Crowd Data Center license visibility (reference §4.2), under /rest/admin/1.0/licensing.

Written from the reference's field lists; where it is LOW confidence (the search body, the
licensed-user fields, the summary `status` enum) the choices are noted inline.
"""

from __future__ import annotations

import re
from typing import Any

from exporter.simulator.base import Context, Reply, Route, json_reply, ms, page_window, route
from exporter.simulator.errors import crowd_error
from exporter.simulator.model import CrowdApp, SimProduct

_JIRA_NAMES = {
    "jira-software": "Jira Software",
    "jira-servicedesk": "Jira Service Desk",
    "jira-core": "Jira Core",
}
PAGE_CAP = 1000
_DIRECTORIES = (("743", "Crowd users directory", True), ("9714", "Corporate LDAP", False))


def _app(ctx: Context, match: re.Match[str]) -> CrowdApp | None:
    return ctx.instance.crowd_app(int(match["id"]))


def _products(ctx: Context, app: CrowdApp) -> list[SimProduct]:
    return [p for p in ctx.instance.products if p.crowd_app == app.id]


def _missing(what: str) -> Reply:
    return json_reply(crowd_error("NOT_FOUND", f"{what} not found"), 404)


def _select(ctx: Context, app: CrowdApp, jira_type: str | None) -> list[SimProduct] | None:
    products = _products(ctx, app)
    if jira_type is None:
        return products
    chosen = [p for p in products if p.key == jira_type]
    return chosen or None


def _summary(ctx: Context, match: re.Match[str]) -> Reply:
    app = _app(ctx, match)
    if app is None:
        return _missing(f"Application {match['id']}")
    jira_type = ctx.query.get("jiraType") if app.type == "jira" else None
    products = _select(ctx, app, jira_type)
    if products is None:
        return _missing(f"Jira type {jira_type}")
    # Without jiraType, a Jira application's summary adds its types up.
    limits = [p.limit for p in products]
    limit = -1 if None in limits else sum(x for x in limits if x is not None)
    # Crowd pulls usage every sync_interval: the data is as of the last pull (minus data_age).
    as_of = ctx.now - app.data_age
    as_of -= as_of % app.sync_interval
    body: dict[str, Any] = {
        # `status` (ApplicationLicensingStatus) is left out: the reference found no values.
        "maximumUserLimit": limit,
        # Crowd's total is the length of its licensed-user list: demo.crowd_product keeps a
        # product's seat counter equal to its users' licensed count (pins still win).
        "totalLicensedUsers": sum(ctx.seats(p) for p in products),
        "numberOfDirectories": len(_DIRECTORIES),
        "timestamp": ms(as_of),
        "version": int(as_of // app.sync_interval),
    }
    if jira_type is not None:
        body["jiraType"] = jira_type
    return json_reply(body)


def _jira_types(ctx: Context, match: re.Match[str]) -> Reply:
    app = _app(ctx, match)
    if app is None:
        return _missing(f"Application {match['id']}")
    keys = [p.key for p in _products(ctx, app)] if app.type == "jira" else []
    return json_reply({"values": [{"key": k, "displayName": _JIRA_NAMES.get(k, k)} for k in keys]})


def _directories(ctx: Context, match: re.Match[str]) -> Reply:
    if _app(ctx, match) is None:
        return _missing(f"Application {match['id']}")
    start, limit = page_window(ctx, PAGE_CAP)
    window = _DIRECTORIES[start : start + limit]
    values = [{"id": i, "name": n, "isLocalCrowd": local} for i, n, local in window]
    last = start + limit >= len(_DIRECTORIES)
    return json_reply(
        {"values": values, "size": len(values), "start": start, "limit": limit, "isLastPage": last}
    )


def _search(ctx: Context, match: re.Match[str]) -> Reply:
    """POST licensed-users/search: criteria in the body (`jiraType` for Jira; LOW: the
    reference saw only a mock body), paging in the query; lastActive in epoch ms."""
    app = _app(ctx, match)
    if app is None:
        return _missing(f"Application {match['id']}")
    criteria = ctx.body if isinstance(ctx.body, dict) else {}
    jira_type = criteria.get("jiraType") if app.type == "jira" else None
    products = _select(ctx, app, jira_type if isinstance(jira_type, str) else None)
    if products is None:
        return _missing(f"Jira type {jira_type}")
    start, limit = page_window(ctx, PAGE_CAP)
    values: list[dict[str, Any]] = []
    offset = 0
    for product in products:  # without jiraType: the types one after the other
        users = product.users
        count = users.licensed_count if users is not None else 0
        if users is not None:
            for user in users.licensed(start - offset, start + limit - offset, ctx.now):
                directory = _DIRECTORIES[user.index % 2][1]
                values.append(
                    {
                        "id": 10_000 + user.index,
                        "username": user.name,
                        "fullName": user.display_name,
                        "email": user.email,
                        "lastActive": None if user.last_active is None else ms(user.last_active),
                        "directory": directory,
                    }
                )
        offset += count
    body = {"values": values, "size": len(values), "start": start, "limit": limit}
    return json_reply(body | {"isLastPage": start + limit >= offset, "total": offset})


_BASE = r"/rest/admin/1\.0/licensing/(?P<id>\d+)"
ROUTES: list[Route] = [
    route(_BASE + r"/summary", _summary),
    route(_BASE + r"/jira-types", _jira_types),
    route(_BASE + r"/directories", _directories),
    route(_BASE + r"/licensed-users/search", _search, method="POST"),
]
