"""Bitbucket Data Center endpoints (reference §3, vendor OpenAPI 9.6 RestBitbucketLicense)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from exporter.simulator.base import (
    Context,
    Reply,
    Route,
    days_before,
    json_reply,
    ms,
    route,
    status_endpoint,
)

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


# Bitbucket serves every REST resource under both /1.0 and /latest.
_API = r"/rest/api/(?:1\.0|latest)"
ROUTES: list[Route] = [
    route(_API + r"/admin/license", _license),
    route(_API + r"/application-properties", _properties, auth=False),
    route(r"/status", status_endpoint, auth=False),
]
