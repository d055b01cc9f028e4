"""Confluence Data Center endpoints (reference §2): seat counters and license details."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from exporter.simulator.base import (
    Context,
    Reply,
    Route,
    json_reply,
    ms,
    page_window,
    route,
    status_endpoint,
)
from exporter.simulator.errors import not_found

# /license/details arrived in Confluence 7.1 (CONFSERVER-37100).
DETAILS_SINCE = (7, 1)
# The active-user listing arrived in 9.3 (CONFSERVER-37100 comment).
ACTIVE_USERS_SINCE = (9, 3)
ACTIVE_USERS = "/rest/api/user/list/active"
PAGE_CAP = 200


# UserCountService.getLicenseMaxUsers: "If this instance has an unlimited license then the
# result would be Integer.MAX_VALUE".
UNLIMITED_MAX_USERS = 2**31 - 1


def _count(value: Callable[[Context], int | None]) -> Callable[[Context, re.Match[str]], Reply]:
    def handler(ctx: Context, _match: re.Match[str]) -> Reply:
        count = value(ctx)
        # An empty Optional (getRemainingFreeSlots) has no count (LOW: its wire shape).
        return json_reply({} if count is None else {"count": count})

    return handler


def _used(ctx: Context) -> int:
    return ctx.seats(ctx.instance.products[0])


def _max(ctx: Context) -> int:
    limit = ctx.instance.products[0].limit
    return UNLIMITED_MAX_USERS if limit is None else limit


def _remaining(ctx: Context) -> int | None:
    # getRemainingFreeSlots is an Optional: no free-slot count for an unlimited license.
    limit = ctx.instance.products[0].limit
    return None if limit is None else limit - _used(ctx)


def _details(ctx: Context, _match: re.Match[str]) -> Reply:
    if ctx.instance.version_tuple < DETAILS_SINCE:
        return not_found("confluence")
    product = ctx.instance.products[0]
    # Only expiryDate, maintenanceExpiryDate and dataCenter are confirmed; the rest follow
    # the reference's illustrative body.
    body: dict[str, Any] = {}
    if product.expiry is not None:
        body["expiryDate"] = ms(product.expiry)
    if product.maintenance_expiry is not None:
        body["maintenanceExpiryDate"] = ms(product.maintenance_expiry)
    body |= {
        "dataCenter": product.data_center,
        "subscription": product.subscription,
        "evaluation": product.evaluation,
        "licenseType": product.license_type,
        "supportEntitlementNumber": product.sen,
    }
    return json_reply(body)


def _iso(seconds: float) -> str:
    millis = round(seconds * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def _active_users(ctx: Context, _match: re.Match[str]) -> Reply:
    """Users counting towards the license with their last login (`expand=lastLogin`).

    The real listing is sorted by last login; a lazily generated population cannot sort, and
    counting does not depend on the order.
    """
    users = ctx.instance.products[0].users
    if ctx.instance.version_tuple < ACTIVE_USERS_SINCE or users is None:
        return not_found("confluence")
    start, limit = page_window(ctx, PAGE_CAP)
    expand = ctx.query.get("expand", "").split(",")
    results = []
    for user in users.licensed(start, start + limit, ctx.now):
        entry: dict[str, Any] = {
            "type": "known",
            "username": user.name,
            "userKey": f"8a7f808a{user.index:024x}",
            "displayName": user.display_name,
            "email": user.email,
        }
        if "lastLogin" in expand and user.last_active is not None:
            entry["lastLogin"] = _iso(user.last_active)
        results.append(entry)
    links = {"base": ctx.base_url, "context": "", "self": ctx.base_url + ACTIVE_USERS}
    if start + limit < users.licensed_count:
        query = {**ctx.query, "start": str(start + limit), "limit": str(limit)}
        links["next"] = f"{ACTIVE_USERS}?{urlencode(query)}"
    body = {"results": results, "start": start, "limit": limit, "size": len(results)}
    return json_reply(body | {"_links": links})


_PREFIX = r"/rest/license/1\.0/license"
ROUTES: list[Route] = [
    route(_PREFIX + r"/userCount", _count(_used)),
    route(_PREFIX + r"/maxUsers", _count(_max)),
    route(_PREFIX + r"/remainingSeats", _count(_remaining)),
    route(_PREFIX + r"/details", _details, optional=True),
    route(ACTIVE_USERS, _active_users, optional=True),
    route(r"/status", status_endpoint, auth=False),
]
