"""Jira Data Center endpoints (reference §1): application roles, UPM license, serverInfo."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

from exporter.simulator.base import (
    Context,
    Reply,
    Route,
    date_string,
    json_reply,
    ms,
    route,
    status_endpoint,
)
from exporter.simulator.errors import jira_error, not_found
from exporter.simulator.groups import members
from exporter.simulator.model import SimProduct

# key -> (display name, userCountDescription)
_ROLES = {
    "jira-software": ("Jira Software", "users"),
    "jira-servicedesk": ("Jira Service Management", "agents"),
    "jira-core": ("Jira Core", "users"),
}


def role_body(ctx: Context, product: SimProduct) -> dict[str, Any]:
    name, description = _ROLES.get(product.key, (product.key.replace("-", " ").title(), "users"))
    used = ctx.seats(product)
    unlimited = product.limit is None
    seats = -1 if product.limit is None else product.limit
    platform = product.key == "jira-core"
    admins = [] if product.key == "jira-servicedesk" else ["jira-administrators"]
    groups = [f"{product.key}-users", *admins]
    return {
        "key": product.key,
        "groups": groups,
        "name": product.name or name,
        "defaultGroups": [f"{product.key}-users"],
        "selectedByDefault": product.key == "jira-software",
        "defined": True,
        "numberOfSeats": seats,
        "remainingSeats": -1 if unlimited else seats - used,
        "userCount": used,
        "userCountDescription": description,
        "hasUnlimitedSeats": unlimited,
        "platform": platform,
    }


def role_routes(prefix: str, body: Callable[[Context, SimProduct], dict[str, Any]]) -> list[Route]:
    """All roles and one role by key, each role as `body` renders it (Data Center, Cloud)."""

    def roles(ctx: Context, _match: re.Match[str]) -> Reply:
        return json_reply([body(ctx, p) for p in ctx.instance.products])

    def one_role(ctx: Context, match: re.Match[str]) -> Reply:
        product = ctx.instance.product(match["key"])
        if product is None:
            message = f"No application role with key '{match['key']}' exists."
            return json_reply(jira_error(message), 404)
        return json_reply(body(ctx, product))

    return [
        route(prefix + r"/applicationrole/?", roles),
        route(prefix + r"/applicationrole/(?P<key>[^/]+)", one_role),
    ]


def _upm_license(ctx: Context, match: re.Match[str]) -> Reply:
    product = ctx.instance.product(match["key"])
    if product is None:
        return not_found("jira")
    expired = product.expiry is not None and ctx.now >= product.expiry
    body: dict[str, Any] = {
        "valid": not expired,
        "evaluation": product.evaluation,
        "maximumNumberOfUsers": -1 if product.limit is None else product.limit,
        "licenseType": product.license_type,
        "creationDateString": date_string(product.created),
    }
    # A perpetual license has no expiry: the date fields are left out.
    if product.expiry is not None:
        body["expiryDate"] = ms(product.expiry)
        body["expiryDateString"] = date_string(product.expiry)
    body |= {
        "organizationName": product.organization,
        "dataCenter": product.data_center,
        "subscription": product.subscription,
        "rawLicense": _raw_license(ctx.instance.name, product.key),
        "expired": expired,
        "supportEntitlementNumber": product.sen,
        "enterprise": product.limit is None or product.limit >= 10_000,
        "active": True,
        "autoRenewal": False,
    }
    if ctx.instance.upm_maintenance_expiry and product.maintenance_expiry is not None:
        body["maintenanceExpiryDate"] = ms(product.maintenance_expiry)
    return json_reply(body)


def _raw_license(name: str, key: str) -> str:
    return "AAAB" + hashlib.sha256(f"{name}/{key}".encode()).hexdigest()[:48] + "X02kh"


def server_time(seconds: float) -> str:
    millis = round(seconds * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}+0000"


def _server_info(ctx: Context, _match: re.Match[str]) -> Reply:
    major, minor, patch = ctx.instance.version_tuple
    return json_reply(
        {
            "baseUrl": ctx.base_url,
            "version": ctx.instance.version,
            "versionNumbers": [major, minor, patch],
            "deploymentType": "Server",
            # Jira's build numbers encode the version: 9.12.7 -> 912007.
            "buildNumber": major * 100_000 + minor * 1000 + patch,
            "buildDate": "2024-04-02T00:00:00.000+0000",
            "serverTime": server_time(ctx.now),
            "scmInfo": hashlib.sha1(ctx.instance.version.encode()).hexdigest(),
            "serverTitle": "Jira",
        }
    )


ROUTES: list[Route] = [
    *role_routes(r"/rest/api/2", role_body),
    route(
        r"/rest/plugins/applications/1\.0/installed/(?P<key>[^/]+)/license",
        _upm_license,
        optional=True,
    ),
    route(r"/rest/api/2/serverInfo", _server_info, auth=False),
    route(r"/rest/api/2/group/member", lambda ctx, match: members(ctx, match, cloud=False)),
    route(r"/status", status_endpoint, auth=False),
]
