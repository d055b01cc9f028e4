"""Crowd Data Center license visibility: one Crowd-known application per configured entry.

Crowd pulls each application's license usage over its application link on its own
"Synchronisation interval"; the summary says whether it has data (`status`), how old it is
(`timestamp`) and which data set it is (`version`). Paths: `{base}/rest/admin/1.0/licensing/...`
(the REST docs' curl samples say /rest/rest/: a doc bug).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from exporter.config.users import ScanSettings
from exporter.sources import paging, parse
from exporter.sources.fanout import all_of
from exporter.sources.http import LinkClient
from exporter.sources.model import (
    CROWD_STATUSES,
    CrowdData,
    ProductLicense,
    Snapshot,
    SourceError,
    UsersSnapshot,
)
from exporter.sources.users import UserScan

if TYPE_CHECKING:
    from exporter.apptypes.crowd import CrowdApplication

log = logging.getLogger(__name__)

BASE = "/rest/admin/1.0/licensing/{id}"
SUMMARY = BASE + "/summary"
JIRA_TYPES = BASE + "/jira-types"
DIRECTORIES = BASE + "/directories"
SEARCH = BASE + "/licensed-users/search"
# Crowd's licensed user: `lastActive` (the LicensedUser javadoc, the UI's "Last active"); the
# search and download filters say `lastLoginBefore`, so a body writing `lastLogin` is read too.
ACTIVITY = ("lastActive", "lastLogin")


def _path(template: str, app: CrowdApplication) -> str:
    return template.format(id=app.crowd_application_id)


def _is_jira(app: CrowdApplication) -> bool:
    return app.crowd_application_type == "jira"


async def products(client: LinkClient, app: CrowdApplication) -> list[str]:
    """Product names: the Jira types Crowd knows for a Jira application, else the type itself."""
    if not _is_jira(app):
        return [app.crowd_application_type or ""]
    path = _path(JIRA_TYPES, app)
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


@functools.lru_cache(maxsize=256)
def _log_unknown_status(application: str, value: str) -> None:
    # Cached so that a new Crowd status is logged once per application and value, not per sync.
    log.warning(
        "unknown Crowd licensing status application=%s status=%r (kept as status=other)",
        application,
        value,
    )


def status(obj: dict[str, Any], path: str, application: str) -> str | None:
    """ApplicationLicensingStatus: NOT_CONFIGURED, LOADING or PRESENT; anything else "other"."""
    value = parse.text(obj, "status", path)
    if value is None or value in CROWD_STATUSES:
        return value
    _log_unknown_status(application, value)
    return "other"


def has_data(state: str | None) -> bool:
    """PRESENT, or a Crowd that does not say: the counts are data. NOT_CONFIGURED and LOADING
    summaries carry only the status (the entity's `status(...)` factory), zeros elsewhere."""
    return state in (None, "PRESENT")


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


def version(obj: dict[str, Any], path: str) -> int | None:
    # A Java long in ApplicationLicensingSummaryEntity.
    if obj.get("version") is None:
        return None
    return parse.integer(obj, "version", path, bound=parse.MAX_LIMIT)


def _criteria(app: CrowdApplication, product: str, pinned: int | None) -> dict[str, Any]:
    """A LicensedUserSearchParameters body: jiraType for Jira, the pinned data version."""
    criteria: dict[str, Any] = {"jiraType": product} if _is_jira(app) else {}
    if pinned is not None:
        criteria["searchVersion"] = pinned
    return criteria


async def _read_summary(client: LinkClient, app: CrowdApplication, product: str) -> dict[str, Any]:
    path = _path(SUMMARY, app)
    params = {"jiraType": product} if _is_jira(app) else None
    return parse.as_object(await client.get_json(path, params=params), path)


async def by_directory(
    client: LinkClient, app: CrowdApplication, product: str, pinned: int | None
) -> tuple[tuple[str, int], ...]:
    """Licensed users per directory: Crowd's directory list, then one search per directory
    filtered by `directoryId`, reading only its `total`. Absent /directories: none."""
    path, search = _path(DIRECTORIES, app), _path(SEARCH, app)
    params: dict[str, str | int] = {"jiraType": product} if _is_jira(app) else {}
    if pinned is not None:
        params["version"] = pinned
    directories: list[tuple[str, str]] = []
    async for page in paging.crowd(client, path, params=params, optional=True):
        for entry in page:
            obj = parse.as_object(entry, path)
            ident, name = obj.get("id"), parse.text(obj, "name", path)
            if not isinstance(ident, str | int) or isinstance(ident, bool) or name is None:
                raise SourceError("invalid_response", path, "a directory has no 'id' or 'name'")
            directories.append((str(ident), name))
    names = [name for _, name in directories]
    counts = []
    for ident, name in directories:
        criteria = _criteria(app, product, pinned) | {"directoryId": ident}
        body = await client.post_json(search, criteria, params={"start": 0, "limit": 1})
        total = parse.integer(parse.as_object(body, search), "total", search)
        # Two directories of one name would be one series: the id keeps them apart.
        label = name if names.count(name) == 1 else f"{name} ({ident})"
        counts.append((label, total))
    return tuple(counts)


async def fetch(client: LinkClient, app: CrowdApplication) -> Snapshot:
    path = _path(SUMMARY, app)
    names = await products(client, app)
    bodies = await all_of(*(_read_summary(client, app, name) for name in names))
    licenses: list[ProductLicense] = []
    crowd: list[CrowdData] = []
    directories: list[int] = []
    for name, obj in zip(names, bodies, strict=True):
        state = status(obj, path, app.name)
        if not has_data(state):
            crowd.append(CrowdData(name, state))
            continue
        licenses.append(summary(name, obj, path))
        pinned = version(obj, path)
        if obj.get("numberOfDirectories") is not None:
            directories.append(parse.integer(obj, "numberOfDirectories", path))
        crowd.append(CrowdData(name, state, pinned))
    return Snapshot(tuple(licenses), tuple(crowd), max(directories) if directories else None)


async def _count(
    client: LinkClient, app: CrowdApplication, result: UserScan, product: str, pinned: int | None
) -> None:
    path = _path(SEARCH, app)
    result.product(product)
    async for page in paging.crowd(client, path, _criteria(app, product, pinned)):
        for user in page:
            result.add_record(product, user, path, "username", ACTIVITY)


async def _scan_once(
    client: LinkClient, app: CrowdApplication, names: list[str], settings: ScanSettings, now: float
) -> UserScan | tuple[str, int | None, int | None]:
    """One pass over one Crowd snapshot per product: the summary's version is pinned for the
    search pages, and read again after them. A move returns (product, before, after)."""
    result = UserScan(settings, now, app.name)
    path = _path(SUMMARY, app)
    for product in names:
        obj = await _read_summary(client, app, product)
        if not has_data(status(obj, path, app.name)):
            continue  # Crowd has no users for it: nothing to count, nothing to claim
        pinned = version(obj, path)
        await _count(client, app, result, product, pinned)
        result.directories(product, await by_directory(client, app, product, pinned))
        after = version(await _read_summary(client, app, product), path)
        if after != pinned:
            return product, pinned, after
    return result


async def scan_users(
    client: LinkClient, app: CrowdApplication, settings: ScanSettings, now: float
) -> UsersSnapshot:
    """Licensed users and their last activity, per product (per Jira type for Jira), all read
    from one Crowd data version: restarted once if Crowd moves on mid-scan, failed if twice."""
    names = await products(client, app)
    first = await _scan_once(client, app, names, settings, now)
    if isinstance(first, UserScan):
        return first.result()
    log.info(
        "Crowd data moved during the user scan, restarting once application=%s product=%s "
        "version=%s new_version=%s",
        app.name,
        *first,
    )
    second = await _scan_once(client, app, names, settings, now)
    if isinstance(second, UserScan):
        return second.result()
    product, before, after = second
    raise SourceError(
        "invalid_response",
        _path(SUMMARY, app),
        f"Crowd's data moved twice during one user scan (product {product}: version "
        f"{first[1]} -> {first[2]}, then {before} -> {after}); counts from mixed data sets are "
        "not exported, the next scan tries again",
    )
