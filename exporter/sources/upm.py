"""Marketplace apps over the Universal Plugin Manager (UPM), the same on Jira, Confluence and
Bitbucket Data Center: the installed plugins, then the license of each user-installed one.

Requests per sync: one list, plus one license request per user-installed app (system plugins
are skipped before any request), one after the other. Of a license body only
the fields below are read; `rawLicense`, `contactEmail` and the SEN fields never leave this
module, not even in an error message.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from exporter.config.models import ApplicationBase
from exporter.sources import parse
from exporter.sources.http import LinkClient
from exporter.sources.model import AppLicense, AppsSnapshot, MarketplaceApp

PLUGINS: Final = "/rest/plugins/1.0/"
LICENSE: Final = "/rest/plugins/1.0/{key}-key/license"
# Each app costs a request per sync and a few series; real instances have dozens. More than
# this is a broken or hostile upstream, not an app inventory.
MAX_APPS: Final = 300
# Label values from the upstream: a plugin key, name or version longer than this is broken.
MAX_LABEL: Final = 200


def _label(obj: dict[str, Any], field: str, path: str, default: str) -> str:
    value = parse.text(obj, field, path)
    if value is None:
        return default
    if len(value) > MAX_LABEL:
        raise parse.SourceError(
            "invalid_response", path, f"field {field!r} is longer than {MAX_LABEL} characters"
        )
    return value


def user_installed(body: Any) -> list[tuple[str, str, str, bool]]:
    """(key, name, version, enabled) of each user-installed plugin of the list, in order."""
    plugins = parse.as_object(body, PLUGINS).get("plugins")
    apps = []
    for plugin in parse.as_list(plugins, PLUGINS):
        obj = parse.as_object(plugin, PLUGINS)
        if not parse.boolean(obj, "userInstalled", PLUGINS):
            continue  # a system plugin: bundled with the product, never licensed apart
        key = _label(obj, "key", PLUGINS, "")
        if not key:
            raise parse.SourceError("invalid_response", PLUGINS, "a plugin has no 'key'")
        name = _label(obj, "name", PLUGINS, key)
        version = _label(obj, "version", PLUGINS, "")
        apps.append((key, name, version, parse.boolean(obj, "enabled", PLUGINS) is True))
    if len(apps) > MAX_APPS:
        raise parse.SourceError(
            "invalid_response",
            PLUGINS,
            f"{len(apps)} user-installed apps, more than the limit of {MAX_APPS}",
        )
    return apps


def parse_license(body: Any, path: str) -> AppLicense | None:
    """An app's license; None for a free app (a 404, or a body without `licenseType`)."""
    if body is None:
        return None
    obj = parse.as_object(body, path)
    license_type = parse.text(obj, "licenseType", path)
    if license_type is None:
        return None  # UPM's answer for an app without a license: links and valid=false only
    limit: int | None = None
    if obj.get("maximumNumberOfUsers") is not None:
        limit = parse.integer(obj, "maximumNumberOfUsers", path, allow_negative=True)
    error = _label(obj, "error", path, "")
    return AppLicense(
        license_type=license_type.upper(),
        valid=parse.boolean(obj, "valid", path) is True,
        evaluation=parse.boolean(obj, "evaluation", path) is True,
        seats_limit=limit if limit is not None and limit >= 0 else None,
        expiry=parse.epoch_ms(obj, "expiryDate", path),
        maintenance_expiry=parse.epoch_ms(obj, "maintenanceExpiryDate", path),
        error=error.upper() or None,
        nearly_expired=parse.boolean(obj, "nearlyExpired", path),
        data_center=parse.boolean(obj, "dataCenter", path),
        subscription=parse.boolean(obj, "subscription", path),
        active=parse.boolean(obj, "active", path),
    )


async def fetch(client: LinkClient, app: ApplicationBase) -> AppsSnapshot:
    listed = user_installed(await client.get_json(PLUGINS))
    # A key is upstream text: escaped, a '/', '?' or '#' in it cannot change the request.
    paths = [LICENSE.format(key=quote(key, safe="")) for key, *_ in listed]
    # One at a time, on one kept-alive connection: the link's pool keeps two alive and the
    # user scan may hold them, so parallel requests would open (and close) a connection, a TLS
    # handshake, per batch, for a job that runs every few hours. A 404 is a free app; any
    # other failure fails the sync there, so the series never show a half-read inventory.
    bodies = [await client.get_json(path, optional=True) for path in paths]
    return AppsSnapshot(
        tuple(
            MarketplaceApp(key, name, version, enabled, parse_license(body, path))
            for (key, name, version, enabled), body, path in zip(listed, bodies, paths, strict=True)
        )
    )
