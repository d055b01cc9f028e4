"""Confluence Data Center user scan: the active-user listing of Confluence 9.3+.

"Active" there means counting towards the license (not deactivated, not unlicensed), each with
its last login. Older versions answer 404: the scan succeeds with no data for them.
"""

from __future__ import annotations

import logging

from exporter.config.models import ApplicationBase
from exporter.config.users import ScanSettings
from exporter.sources import paging
from exporter.sources.http import LinkClient
from exporter.sources.model import UsersSnapshot
from exporter.sources.users import UserScan

log = logging.getLogger(__name__)

# 9.3 added /rest/api/user/list/active (CONFSERVER-37100); the 9.4+ REST documentation lists
# the same listing under /admin/users. The first path that exists wins.
PATHS = ("/rest/api/user/list/active", "/rest/api/admin/users/list/active")
# lastLogin is only in the body when expanded.
PARAMS = {"expand": "lastLogin"}
PRODUCT = "confluence"


async def scan(
    client: LinkClient, app: ApplicationBase, settings: ScanSettings, now: float
) -> UsersSnapshot:
    for path in PATHS:
        result = UserScan(settings, now, app.name)
        found = False
        async for page in paging.confluence(client, path, PARAMS, optional=True):
            found = True
            result.product(PRODUCT)
            for user in page:
                result.add_record(PRODUCT, user, path, "username", ("lastLogin",))
        if found:
            return result.result()
    log.info(
        "user scan not available application=%s reason=%r",
        app.name,
        "no active-user listing (Confluence before 9.3)",
    )
    return UsersSnapshot(())
