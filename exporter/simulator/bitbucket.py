"""Bitbucket Data Center endpoints (reference §3, vendor OpenAPI 9.6 RestBitbucketLicense,
RestApplicationUser, RestDetailedUser and the paged envelope)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from exporter.simulator.base import (
    Context,
    Reply,
    Route,
    days_before,
    json_reply,
    ms,
    page_window,
    route,
    status_endpoint,
)
from exporter.simulator.errors import bitbucket_errors
from exporter.simulator.users import SimUser, SimUsers

# atlassian-extras reports Integer.MAX_VALUE days for a license that never expires.
NEVER = 2**31 - 1


def _license(ctx: Context, _match: re.Match[str]) -> Reply:
    product = ctx.instance.products[0]
    now = ctx.now
    body: dict[str, Any] = {
        "creationDate": ms(product.created),
        "purchaseDate": ms(product.created),
    }
    if product.expiry is not None:
        days = days_before(product.expiry, now)
        body["expiryDate"] = ms(product.expiry)
    else:
        days = NEVER
    # daysBeforeExpiry is the 8.x/9.x alias of numberOfDaysBeforeExpiry.
    body |= {"numberOfDaysBeforeExpiry": days, "daysBeforeExpiry": days}
    if product.maintenance_expiry is not None:
        body["maintenanceExpiryDate"] = ms(product.maintenance_expiry)
        body["numberOfDaysBeforeMaintenanceExpiry"] = days_before(product.maintenance_expiry, now)
    if product.grace_period_end is not None:
        body["gracePeriodEndDate"] = ms(product.grace_period_end)
        body["numberOfDaysBeforeGracePeriodExpiry"] = days_before(product.grace_period_end, now)
    secret = hashlib.sha256(ctx.instance.name.encode()).hexdigest()[:48]
    body |= {
        "maximumNumberOfUsers": -1 if product.limit is None else product.limit,
        "unlimitedNumberOfUsers": product.limit is None,
        "serverId": ctx.instance.server_id,
        "supportEntitlementNumber": product.sen,
        "license": f"AAAB{secret}X02kh",
        "status": {
            "serverId": ctx.instance.server_id,
            "currentNumberOfUsers": ctx.seats(product),
        },
    }
    return json_reply(body)


def _properties(ctx: Context, _match: re.Match[str]) -> Reply:
    major, minor, patch = ctx.instance.version_tuple
    return json_reply(
        {
            "version": ctx.instance.version,
            # Bitbucket's build number encodes the version: 9.6.0 -> "9006000".
            "buildNumber": str(major * 1_000_000 + minor * 1000 + patch),
            "buildDate": "1717236000000",
            "displayName": "Bitbucket",
        }
    )


# The server caps `limit` (commonly 1000, reference §3.2).
PAGE_CAP = 1000


def _population(ctx: Context) -> SimUsers:
    users = ctx.instance.products[0].users
    return users if users is not None else SimUsers(0)


def _page(ctx: Context, total: int, make: Any) -> Reply:
    """The paged envelope: nextPageStart only when isLastPage is false."""
    start, limit = page_window(ctx, PAGE_CAP)
    stop = start + limit
    values = list(make(start, stop))
    last = stop >= total
    body: dict[str, Any] = {"size": len(values), "limit": limit, "isLastPage": last}
    body |= {"start": start, "values": values}
    if not last:
        # The window's end, not start + size: filtered users leave short or empty pages.
        body["nextPageStart"] = stop
    return json_reply(body)


def _application_user(user: SimUser) -> dict[str, Any]:
    return {
        "name": user.name,
        "emailAddress": user.email,
        "active": user.active,
        "displayName": user.display_name,
        "id": 100 + user.index,
        "slug": user.name.replace("@", "_"),
        "type": "NORMAL",
    }


def _users(ctx: Context, _match: re.Match[str]) -> Reply:
    """GET /users: with permission=LICENSED_USER, exactly the licensed users (groups included)."""
    users, permission = _population(ctx), ctx.query.get("permission")
    if permission not in (None, "LICENSED_USER"):
        return json_reply(bitbucket_errors(f"Invalid permission {permission!r}"), 400)

    def make(start: int, stop: int) -> Iterable[dict[str, Any]]:
        if permission is None:
            every = users.users(start, stop, ctx.now)
            return (_application_user(u) for u in every if u.active)
        return (_application_user(u) for u in users.licensed(start, stop, ctx.now))

    # Without a filter, deactivated users are skipped inside a page: sizes vary, as on a server.
    total = users.licensed_count if permission else users.count
    return _page(ctx, total, make)


def _admin_users(ctx: Context, _match: re.Match[str]) -> Reply:
    """GET /admin/users: every user, licensed or not, with lastAuthenticationTimestamp."""
    users = _population(ctx)

    def make(start: int, stop: int) -> Iterable[dict[str, Any]]:
        for user in users.users(start, stop, ctx.now):
            body = _application_user(user) | {
                "directoryName": "Bitbucket Internal Directory",
                "deletable": True,
                "mutableDetails": True,
                "mutableGroups": True,
                "createdTimestamp": ms(users.epoch - 1000 * 86400),
            }
            if user.last_active is not None:  # absent when the user never authenticated
                body["lastAuthenticationTimestamp"] = ms(user.last_active)
            yield body

    return _page(ctx, users.count, make)


# Bitbucket serves every REST resource under both /1.0 and /latest.
_API = r"/rest/api/(?:1\.0|latest)"
ROUTES: list[Route] = [
    route(_API + r"/admin/license", _license),
    route(_API + r"/application-properties", _properties, auth=False),
    route(_API + r"/users", _users, auth=False, login=True),
    route(_API + r"/admin/users", _admin_users),
    route(r"/status", status_endpoint, auth=False),
]
