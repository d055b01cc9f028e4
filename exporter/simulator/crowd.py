"""Crowd Data Center license visibility (reference §4.2), under /rest/admin/1.0/licensing.

Written from Crowd's REST docs and javadoc: the summary is ApplicationLicensingSummaryEntity
(`status` an ApplicationLicensingStatus), the search body LicensedUserSearchParameters
(`search`, `directoryId`, `jiraType`, `lastLoginBefore`, `searchVersion`), a licensed user
LicensedUser. Where the wire shape is not documented (the search envelope, a summary without
data) the choices are noted inline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
SEARCH_PATH = "/rest/admin/1.0/licensing/{id}/licensed-users/search"


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


def _version(ctx: Context, app: CrowdApp, as_of: float, searches: int | None = None) -> int:
    """The data version: one per pull, plus the configured moves under a user scan."""
    base = int(as_of // app.sync_interval)
    if not app.version_moves_after_searches:
        return base
    if searches is None:
        searches = ctx.answered("POST", SEARCH_PATH.format(id=app.id))
    return base + sum(1 for n in app.version_moves_after_searches if searches >= n)


def _as_of(ctx: Context, app: CrowdApp) -> float:
    # Crowd pulls usage every sync_interval: the data is as of the last pull (minus data_age).
    as_of = ctx.now - app.data_age
    return as_of - as_of % app.sync_interval


def _summary(ctx: Context, match: re.Match[str]) -> Reply:
    app = _app(ctx, match)
    if app is None:
        return _missing(f"Application {match['id']}")
    jira_type = ctx.query.get("jiraType") if app.type == "jira" else None
    products = _select(ctx, app, jira_type)
    if products is None:
        return _missing(f"Jira type {jira_type}")
    if app.status != "PRESENT":
        # ApplicationLicensingSummaryEntity.status(status): only the status is set; the Java
        # primitives keep their defaults (LOW: the wire shape is not documented).
        return json_reply(
            {
                "status": app.status,
                "maximumUserLimit": 0,
                "totalLicensedUsers": 0,
                "numberOfDirectories": 0,
                "timestamp": 0,
                "version": 0,
            }
        )
    # Without jiraType, a Jira application's summary adds its types up.
    limits = [p.limit for p in products]
    limit = -1 if None in limits else sum(x for x in limits if x is not None)
    as_of = _as_of(ctx, app)
    body: dict[str, Any] = {
        "status": app.status,
        "maximumUserLimit": limit,
        # Crowd's total is the length of its licensed-user list: demo.crowd_product keeps a
        # product's seat counter equal to its users' licensed count (pins still win).
        "totalLicensedUsers": sum(ctx.seats(p) for p in products),
        "numberOfDirectories": len(app.directories),
        "timestamp": ms(as_of),
        "version": _version(ctx, app, as_of),
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
    app = _app(ctx, match)
    if app is None:
        return _missing(f"Application {match['id']}")
    start, limit = page_window(ctx, PAGE_CAP)
    window = app.directories[start : start + limit]
    values = [{"id": i, "name": n, "isLocalCrowd": local} for i, n, local in window]
    last = start + limit >= len(app.directories)
    return json_reply(
        {"values": values, "size": len(values), "start": start, "limit": limit, "isLastPage": last}
    )


def _search(ctx: Context, match: re.Match[str]) -> Reply:
    """POST licensed-users/search: LicensedUserSearchParameters in the body (`jiraType` for Jira,
    `directoryId` to filter), paging in the query; lastActive in epoch ms. The envelope (values,
    size, start, limit, isLastPage, total) follows the documented /directories one plus the
    total the service returns with the page (LOW: the REST entity is not in the docs)."""
    app = _app(ctx, match)
    if app is None:
        return _missing(f"Application {match['id']}")
    criteria = ctx.body if isinstance(ctx.body, dict) else {}
    jira_type = criteria.get("jiraType") if app.type == "jira" else None
    products = _select(ctx, app, jira_type if isinstance(jira_type, str) else None)
    if products is None:
        return _missing(f"Jira type {jira_type}")
    directory = criteria.get("directoryId")
    if directory is not None and directory not in {d[0] for d in app.directories}:
        return _missing(f"Directory {directory}")
    start, limit = page_window(ctx, PAGE_CAP)
    ids = [d[0] for d in app.directories]
    wanted = None if directory is None else ids.index(directory)
    values: list[dict[str, Any]] = []
    offset = 0
    for product in products:  # without jiraType: the types one after the other
        users = product.users
        if users is None:
            continue
        # Positions in the licensed list, filtered by directory (users are dealt round-robin
        # over the directories by population index): ints only, no user is built for a total.
        positions: Sequence[int] = range(users.licensed_count)
        if wanted is not None:
            positions = [j for j in positions if users.licensed_index(j) % len(ids) == wanted]
        for j in positions[max(0, start - offset) : max(0, start + limit - offset)]:
            user = users.user(users.licensed_index(j), ctx.now)
            values.append(
                {
                    "id": 10_000 + user.index,
                    "username": user.name,
                    "fullName": user.display_name,
                    "email": user.email,
                    "lastActive": None if user.last_active is None else ms(user.last_active),
                    "directory": app.directories[user.index % len(ids)][1],
                }
            )
        offset += len(positions)
    body = {"values": values, "size": len(values), "start": start, "limit": limit}
    return json_reply(body | {"isLastPage": start + limit >= offset, "total": offset})


_BASE = r"/rest/admin/1\.0/licensing/(?P<id>\d+)"
ROUTES: list[Route] = [
    route(_BASE + r"/summary", _summary),
    route(_BASE + r"/jira-types", _jira_types),
    route(_BASE + r"/directories", _directories),
    route(_BASE + r"/licensed-users/search", _search, method="POST"),
]
