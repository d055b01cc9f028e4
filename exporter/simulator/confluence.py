"""Confluence Data Center endpoints (reference §2): seat counters and license details."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from exporter.simulator.base import Context, Reply, Route, json_reply, ms, route, status_endpoint
from exporter.simulator.errors import not_found

# /license/details arrived in Confluence 7.1 (CONFSERVER-37100).
DETAILS_SINCE = (7, 1)


def _count(value: Callable[[Context], int]) -> Callable[[Context, re.Match[str]], Reply]:
    def handler(ctx: Context, _match: re.Match[str]) -> Reply:
        return json_reply({"count": value(ctx)})

    return handler


def _used(ctx: Context) -> int:
    return ctx.seats(ctx.instance.products[0])


def _max(ctx: Context) -> int:
    limit = ctx.instance.products[0].limit
    return -1 if limit is None else limit


def _remaining(ctx: Context) -> int:
    limit = ctx.instance.products[0].limit
    return -1 if limit is None else limit - _used(ctx)


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


_PREFIX = r"/rest/license/1\.0/license"
ROUTES: list[Route] = [
    route(_PREFIX + r"/userCount", _count(_used)),
    route(_PREFIX + r"/maxUsers", _count(_max)),
    route(_PREFIX + r"/remainingSeats", _count(_remaining)),
    route(_PREFIX + r"/details", _details, optional=True),
    route(r"/status", status_endpoint, auth=False),
]
