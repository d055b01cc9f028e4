"""Confluence Data Center: three seat counters and, from 7.1, license details."""

from __future__ import annotations

import dataclasses
from typing import Any

from exporter.config.models import ApplicationBase
from exporter.sources import parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError

BASE = "/rest/license/1.0/license"
USER_COUNT = f"{BASE}/userCount"
MAX_USERS = f"{BASE}/maxUsers"
REMAINING = f"{BASE}/remainingSeats"
DETAILS = f"{BASE}/details"  # Confluence 7.1+; 404 before


def _count(body: Any, path: str, *, allow_negative: bool) -> int:
    return parse.integer(parse.as_object(body, path), "count", path, allow_negative=allow_negative)


def _remaining(body: Any) -> int:
    """remainingSeats of a limited license; a missing one is a failed sync, as before."""
    if body is None:
        raise SourceError(
            "http_404", REMAINING, "HTTP 404: endpoint not found; check the URL and context path"
        )
    return _count(body, REMAINING, allow_negative=True)


async def fetch(client: LinkClient, app: ApplicationBase) -> Snapshot:
    used_body, max_body, remaining_body, details = await all_of(
        client.get_json(USER_COUNT),
        client.get_json(MAX_USERS),
        # Optional: with an unlimited license it may answer 404 or carry no count.
        client.get_json(REMAINING, optional=True),
        client.get_json(DETAILS, optional=True),
    )
    used = _count(used_body, USER_COUNT, allow_negative=False)
    # getLicenseMaxUsers documents Integer.MAX_VALUE for an unlimited license; -1 is read the
    # same way (seat_limit).
    limit = parse.seat_limit(parse.as_object(max_body, MAX_USERS), "count", MAX_USERS)
    product = ProductLicense("confluence", used, None, None)
    if limit is not None:
        remaining = _remaining(remaining_body)
        if remaining >= 0:
            product = ProductLicense("confluence", used, limit, remaining)
    if details is not None:
        obj = parse.as_object(details, DETAILS)
        product = dataclasses.replace(
            product,
            expiry=parse.epoch_ms(obj, "expiryDate", DETAILS),
            maintenance_expiry=parse.epoch_ms(obj, "maintenanceExpiryDate", DETAILS),
            license_type=parse.label_value(parse.text(obj, "licenseType", DETAILS)),
            evaluation=parse.boolean(obj, "evaluation", DETAILS),
            data_center=parse.boolean(obj, "dataCenter", DETAILS),
        )
    return Snapshot((product,))
