"""Jira Cloud: seats per application role as on Data Center, the plan of each product, and the
approximate user count Atlassian caches for up to 7 days. Basic auth is e-mail + API token."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from exporter.config.models import ApplicationBase
from exporter.sources import parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient
from exporter.sources.jira import parse_role
from exporter.sources.model import Snapshot

ROLES = "/rest/api/3/applicationrole"
LICENSE = "/rest/api/3/instance/license"
APPROXIMATE = "/rest/api/3/license/approximateLicenseCount/product/{key}"


def plans(body: Any) -> dict[str, str]:
    """Product id -> UNLICENSED, FREE or PAID, from /instance/license."""
    obj = parse.as_object(body, LICENSE)
    out = {}
    for entry in parse.as_list(obj.get("applications"), f"{LICENSE} applications"):
        app = parse.as_object(entry, LICENSE)
        key, plan = parse.text(app, "id", LICENSE), parse.text(app, "plan", LICENSE)
        if key is not None and plan is not None:
            out[key] = plan
    return out


def approximate(body: Any, path: str) -> int | None:
    """`{"key": ..., "value": "115"}`: the count is a string on the wire."""
    if body is None:  # no count for this product: seats still count
        return None
    value = parse.as_object(body, path).get("value")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= parse.MAX_COUNT:
        raise parse.SourceError(
            "invalid_response", path, f"field 'value' is not a count: {value!r:.40}"
        )
    return value


async def fetch(client: LinkClient, app: ApplicationBase) -> Snapshot:
    roles, license_body = await all_of(client.get_json(ROLES), client.get_json(LICENSE))
    roles = parse.capped(parse.as_list(roles, ROLES), ROLES)
    products = [parse_role(role, ROLES) for role in roles]
    by_product = plans(license_body)
    paths = [APPROXIMATE.format(key=quote(p.product, safe="")) for p in products]
    counts = await all_of(*(client.get_json(path, optional=True) for path in paths))
    return Snapshot(
        tuple(
            dataclasses.replace(
                product,
                plan=by_product.get(product.product),
                seats_used_approximate=approximate(count, path),
            )
            for product, count, path in zip(products, counts, paths, strict=True)
        )
    )
