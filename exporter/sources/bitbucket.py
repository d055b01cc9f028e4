"""Bitbucket Data Center: everything in one call to /admin/license."""

from __future__ import annotations

from exporter.config.models import ApplicationBase
from exporter.sources import parse
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot

LICENSE = "/rest/api/1.0/admin/license"


async def fetch(client: LinkClient, app: ApplicationBase) -> Snapshot:
    obj = parse.as_object(await client.get_json(LICENSE), LICENSE)
    status = parse.as_object(obj.get("status"), f"{LICENSE} status")
    used = parse.integer(status, "currentNumberOfUsers", LICENSE)
    # The vendor's own example pairs unlimitedNumberOfUsers: true with a maximum of 12: the
    # flag wins, and an unlimited license needs no maximum at all.
    limit: int | None = None
    if not parse.boolean(obj, "unlimitedNumberOfUsers", LICENSE):
        limit = parse.seat_limit(obj, "maximumNumberOfUsers", LICENSE)
    return Snapshot(
        (
            ProductLicense(
                product="bitbucket",
                seats_used=used,
                seats_limit=limit,
                # Bitbucket reports no remaining count; limit - used, negative when over the limit.
                seats_remaining=None if limit is None else limit - used,
                expiry=parse.epoch_ms(obj, "expiryDate", LICENSE),
                maintenance_expiry=parse.epoch_ms(obj, "maintenanceExpiryDate", LICENSE),
                grace_period_end=parse.epoch_ms(obj, "gracePeriodEndDate", LICENSE),
            ),
        )
    )
