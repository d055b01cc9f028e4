"""Crowd Data Center license visibility: one Crowd-known application per configured entry.

Crowd pulls each application's license usage over its application link on its own
"Synchronisation interval"; the summary's timestamp says how old those numbers are.
Paths: `{base}/rest/admin/1.0/licensing/...` (the REST docs' curl samples say /rest/rest/: a
doc bug).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from exporter.config.users import ScanSettings
from exporter.sources import paging, parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError, UsersSnapshot
from exporter.sources.users import UserScan

if TYPE_CHECKING:
    from exporter.apptypes.crowd import CrowdApplication

BASE = "/rest/admin/1.0/licensing/{id}"
SUMMARY = BASE + "/summary"
JIRA_TYPES = BASE + "/jira-types"
SEARCH = BASE + "/licensed-users/search"


def _paths(app: CrowdApplication) -> tuple[str, str, str]:
    ident = app.crowd_application_id
    return SUMMARY.format(id=ident), JIRA_TYPES.format(id=ident), SEARCH.format(id=ident)


async def products(client: LinkClient, app: CrowdApplication) -> list[str]:
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
    parse.capped(keys, path)
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
    # Crowd does not document unlimited licenses; a negative limit is the only sane reading.
    maximum = parse.integer(obj, "maximumUserLimit", path, allow_negative=True)
    limit = None if maximum < 0 else maximum
    return ProductLicense(
        product=product,
        seats_used=used,
        seats_limit=limit,
        # Crowd reports no remaining count: limit - used, negative when over the limit.
        seats_remaining=None if limit is None else limit - used,
        data_timestamp=parse.epoch_ms(obj, "timestamp", path),
    )


async def fetch(client: LinkClient, app: CrowdApplication) -> Snapshot:
    path, _, _ = _paths(app)
    names = await products(client, app)
    if app.crowd_application_type != "jira":
        return Snapshot((summary(names[0], await client.get_json(path), path),))
    bodies = await all_of(*(client.get_json(path, params={"jiraType": name}) for name in names))
    return Snapshot(tuple(summary(n, b, path) for n, b in zip(names, bodies, strict=True)))


async def scan_users(
    client: LinkClient, app: CrowdApplication, settings: ScanSettings, now: float
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
                obj = parse.as_object(user, path)
                name = parse.text(obj, "username", path)
                if name is None:
                    raise SourceError("invalid_response", path, "a user has no 'username'")
                result.add(product, name, parse.instant(obj, "lastActive", path))
    return result.result()
