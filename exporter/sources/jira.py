"""Jira Data Center: seats per application role, license dates from UPM per role."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from exporter.config.models import ApplicationBase
from exporter.sources import parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot

ROLES = "/rest/api/2/applicationrole"
LICENSE = "/rest/plugins/applications/1.0/installed/{key}/license"


def parse_role(role: Any, path: str) -> ProductLicense:
    """One entry of /applicationrole. Shared with Jira Cloud, whose roles have the same fields."""
    obj = parse.as_object(role, path)
    key = parse.text(obj, "key", path)
    if key is None:
        raise parse.SourceError("invalid_response", path, "a role has no 'key'")
    try:
        used = parse.integer(obj, "userCount", path)
        # Trust the flag first (one published body has hasUnlimitedSeats with 500 seats);
        # an unlimited role needs no seat fields at all.
        if parse.boolean(obj, "hasUnlimitedSeats", path):
            return ProductLicense(key, used, None, None)
        # Then the seat fields: -1 (UNLIMITED_USERS) or a limit of 2^31 - 1 or more.
        seats = parse.seat_limit(obj, "numberOfSeats", path)
        if seats is None:
            return ProductLicense(key, used, None, None)
        remaining = parse.integer(obj, "remainingSeats", path, allow_negative=True)
    except parse.SourceError as exc:
        raise parse.SourceError(exc.reason, path, f"role {key!r}: {exc.message}") from None
    if remaining < 0:
        return ProductLicense(key, used, None, None)
    # remainingSeats as Jira reports it: one license may back several roles, so it is not
    # always numberOfSeats - userCount.
    return ProductLicense(key, used, seats, remaining)


def with_license(product: ProductLicense, body: Any, path: str) -> ProductLicense:
    if body is None:  # UPM endpoint absent: seats still count
        return product
    obj = parse.as_object(body, path)
    return ProductLicense(
        product=product.product,
        seats_used=product.seats_used,
        seats_limit=product.seats_limit,
        seats_remaining=product.seats_remaining,
        expiry=parse.epoch_ms(obj, "expiryDate", path),
        maintenance_expiry=parse.epoch_ms(obj, "maintenanceExpiryDate", path),
        license_type=parse.label_value(parse.text(obj, "licenseType", path)),
        evaluation=parse.boolean(obj, "evaluation", path),
        data_center=parse.boolean(obj, "dataCenter", path),
    )


async def fetch(client: LinkClient, app: ApplicationBase) -> Snapshot:
    roles = parse.capped(parse.as_list(await client.get_json(ROLES), ROLES), ROLES)
    products = [parse_role(role, ROLES) for role in roles]
    # A key is upstream text: escaped, a '/', '?' or '#' in it cannot change the request.
    paths = [LICENSE.format(key=quote(p.product, safe="")) for p in products]
    bodies = await all_of(*(client.get_json(path, optional=True) for path in paths))
    return Snapshot(
        tuple(
            with_license(product, body, path)
            for product, body, path in zip(products, bodies, paths, strict=True)
        )
    )
