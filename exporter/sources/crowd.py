"""Crowd Data Center license visibility: one Crowd-known application per configured entry.

Crowd pulls each application's license usage over its application link on its own
"Synchronisation interval"; the summary's timestamp says how old those numbers are.
Paths: `{base}/rest/admin/1.0/licensing/...` (the REST docs' curl samples say /rest/rest/: a
doc bug).
"""

from __future__ import annotations

import asyncio
from typing import Any

from exporter.config.load import Application
from exporter.sources import paging, parse
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError, UsersSnapshot
from exporter.sources.users import ScanSettings, UserScan

BASE = "/rest/admin/1.0/licensing/{id}"
SUMMARY = BASE + "/summary"
JIRA_TYPES = BASE + "/jira-types"
SEARCH = BASE + "/licensed-users/search"


def _paths(app: Application) -> tuple[str, str, str]:
    ident = app.crowd_application_id
    return SUMMARY.format(id=ident), JIRA_TYPES.format(id=ident), SEARCH.format(id=ident)


async def products(client: LinkClient, app: Application) -> list[str]:
    """Product names: the Jira types Crowd knows for a Jira application, else the type itself."""
    kind = app.crowd_application_type or ""
    if kind != "jira":
        return [kind]
    _, path, _ = _paths(app)
    body = parse.as_object(await client.get_json(path), path)
    keys = []
    for entry in parse.as_list(body.get("values"), f"{path} values"):
        key = parse.text(parse.as_object(entry, path), "key", path)
        # The documented example also lists bitbucket and confluence: only jira-* are Jira types.
        if key is not None and key.startswith("jira-"):
            keys.append(key)
    if not keys:
        raise SourceError(
            "invalid_response",
            path,
            f"Crowd reports no Jira type for application {app.crowd_application_id} "
            "(is license visibility set up for it?)",
        )
    return keys


def summary(product: str, body: Any, path: str) -> ProductLicense:
    obj = parse.as_object(body, path)
    used = parse.integer(obj, "totalLicensedUsers", path)
    # Crowd does not document unlimited licenses: negative or 2^31 - 1 and up, as elsewhere.
    limit = parse.seat_limit(obj, "maximumUserLimit", path)
    return ProductLicense(
        product=product,
        seats_used=used,
        seats_limit=limit,
        # Crowd reports no remaining count: limit - used, negative when over the limit.
        seats_remaining=None if limit is None else limit - used,
        data_timestamp=parse.epoch_ms(obj, "timestamp", path),
    )


async def fetch(client: LinkClient, app: Application) -> Snapshot:
    path, _, _ = _paths(app)
    names = await products(client, app)
    if app.crowd_application_type != "jira":
        return Snapshot((summary(names[0], await client.get_json(path), path),))
    bodies = await asyncio.gather(
        *(client.get_json(path, params={"jiraType": name}) for name in names)
    )
    return Snapshot(tuple(summary(n, b, path) for n, b in zip(names, bodies, strict=True)))


# Crowd's licensed user: `lastActive` (the LicensedUser javadoc, the UI's "Last active"); the
# search and download filters say `lastLoginBefore`, so a body writing `lastLogin` is read too.
ACTIVITY = ("lastActive", "lastLogin")


async def scan_users(
    client: LinkClient, app: Application, settings: ScanSettings, now: float
) -> UsersSnapshot:
    """Licensed users and their last activity, per product (per Jira type for Jira)."""
    _, _, path = _paths(app)
    result = UserScan(settings, now)
    jira = app.crowd_application_type == "jira"
    for product in await products(client, app):
        result.product(product)
        criteria = {"jiraType": product} if jira else {}
        async for page in paging.crowd(client, path, criteria):
            for user in page:
                result.add_record(product, user, path, "username", ACTIVITY)
    return result.result()
