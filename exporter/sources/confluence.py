"""Confluence Data Center: three seat counters and, from 7.1, license details."""

from __future__ import annotations

from typing import Any

from exporter.config.models import ApplicationBase
from exporter.sources import parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot

BASE = "/rest/license/1.0/license"
USER_COUNT = f"{BASE}/userCount"
MAX_USERS = f"{BASE}/maxUsers"
REMAINING = f"{BASE}/remainingSeats"
DETAILS = f"{BASE}/details"  # Confluence 7.1+; 404 before


def _count(body: Any, path: str, *, allow_negative: bool) -> int:
    return parse.integer(parse.as_object(body, path), "count", path, allow_negative=allow_negative)


async def fetch(client: LinkClient, app: ApplicationBase) -> Snapshot:
    used_body, max_body, remaining_body, details = await all_of(
        client.get_json(USER_COUNT),
        client.get_json(MAX_USERS),
        client.get_json(REMAINING),
        client.get_json(DETAILS, optional=True),
    )
    used = _count(used_body, USER_COUNT, allow_negative=False)
    # Unlimited licenses are not documented; a negative limit is the only sane reading.
    limit = _count(max_body, MAX_USERS, allow_negative=True)
    remaining = _count(remaining_body, REMAINING, allow_negative=True)
    product = ProductLicense("confluence", used, None, None)
    if limit >= 0 and remaining >= 0:
        product = ProductLicense("confluence", used, limit, remaining)
    if details is not None:
        obj = parse.as_object(details, DETAILS)
        product = ProductLicense(
            product="confluence",
            seats_used=used,
            seats_limit=product.seats_limit,
            seats_remaining=product.seats_remaining,
            expiry=parse.epoch_ms(obj, "expiryDate", DETAILS),
            maintenance_expiry=parse.epoch_ms(obj, "maintenanceExpiryDate", DETAILS),
            license_type=parse.text(obj, "licenseType", DETAILS),
            evaluation=parse.boolean(obj, "evaluation", DETAILS),
            data_center=parse.boolean(obj, "dataCenter", DETAILS),
        )
    return Snapshot((product,))
