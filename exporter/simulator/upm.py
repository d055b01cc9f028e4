"""The Universal Plugin Manager's REST resources (the same on Jira, Confluence and Bitbucket):
the installed plugins, system and user-installed, and each plugin's license.

Written from UPM's documented representations (docs/sources.md, "Marketplace apps"): the
license body carries everything UPM sends, the raw license, contact e-mail and SEN included,
so that tests can check the exporter never passes them on.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from exporter.simulator.base import Context, Reply, Route, date_string, json_reply, ms, route
from exporter.simulator.errors import not_found
from exporter.simulator.model import DAY, SimApp, SimInstance

BASE = "/rest/plugins/1.0"
# Bundled plugins each product ships (a sample; the rest are numbered).
_SYSTEM = {
    "jira": "com.atlassian.jira.plugin.system",
    "confluence": "com.atlassian.confluence.plugins",
    "bitbucket": "com.atlassian.bitbucket.server",
}
_SHARED = [
    "com.atlassian.upm.atlassian-universal-plugin-manager-plugin",
    "com.atlassian.plugins.rest.atlassian-rest-module",
    "com.atlassian.oauth.admin",
    "com.atlassian.analytics.analytics-client",
    "com.atlassian.soy.soy-template-plugin",
    "com.atlassian.troubleshooting.plugin-jira",
    "com.atlassian.plugins.atlassian-nav-links-plugin",
    "com.atlassian.applinks.applinks-plugin",
]
# UPM flags an evaluation or subscription that ends within this many days (value LOW).
NEARLY_EXPIRED_DAYS = 30


def _links(key: str) -> dict[str, str]:
    return {
        "self": f"{BASE}/{key}-key",
        "plugin-summary": f"{BASE}/{key}-key/summary",
        "modify": f"{BASE}/{key}-key",
        "plugin-icon": f"{BASE}/{key}-key/media/plugin-icon",
        "plugin-logo": f"{BASE}/{key}-key/media/plugin-logo",
        "manage": f"/plugins/servlet/upm#manage/{key}",
    }


def _plugin(key: str, name: str, version: str, *, user: bool, enabled: bool) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "links": _links(key),
        "name": name,
        "version": version,
        "userInstalled": user,
        "optional": user,
        "static": False,
        "unloadable": False,
        "description": f"{name} plugin",
        "key": key,
        "usesLicensing": user,
        "remotable": False,
        "vendor": {"name": "Atlassian" if not user else "Example Vendor", "link": ""},
    }


def system_keys(instance: SimInstance) -> list[str]:
    prefix = _SYSTEM.get(instance.type, "com.atlassian.plugins")
    numbered = [
        f"{prefix}.module-{i:02d}" for i in range(max(0, instance.system_plugins - len(_SHARED)))
    ]
    return (_SHARED + numbered)[: instance.system_plugins]


def _list(ctx: Context, _match: re.Match[str]) -> Reply:
    instance = ctx.instance
    plugins = [
        _plugin(key, key.rsplit(".", 1)[-1], instance.version, user=False, enabled=True)
        for key in system_keys(instance)
    ]
    for app in instance.apps:
        plugin = _plugin(app.key, app.name, app.version, user=True, enabled=app.enabled)
        plugin["vendor"] = {"name": app.vendor, "link": ""}
        plugins.append(plugin)
    # UPM answers with a token for install requests in a header; harmless to GETs.
    return json_reply(
        {"links": {"self": f"{BASE}/"}, "plugins": plugins},
        headers={"upm-token": "1234567890"},
    )


def _license(ctx: Context, match: re.Match[str]) -> Reply:
    key = match["key"]
    app = next((a for a in ctx.instance.apps if a.key == key), None)
    if app is None:
        system = key in system_keys(ctx.instance)
        return not_found(ctx.instance.type) if not system else json_reply(_free(key))
    if app.license is None:
        return not_found(ctx.instance.type) if app.free_404 else json_reply(_free(key))
    return json_reply(license_body(ctx, app))


def _free(key: str) -> dict[str, Any]:
    # An app without a license: links and valid=false, no licenseType.
    return {"links": {"self": f"{BASE}/{key}-key/license"}, "valid": False}


def license_body(ctx: Context, app: SimApp) -> dict[str, Any]:
    lic = app.license
    assert lic is not None
    expired = lic.expiry is not None and ctx.now >= lic.expiry
    error = "EXPIRED" if expired else lic.error
    body: dict[str, Any] = {
        "links": {"self": f"{BASE}/{app.key}-key/license"},
        "valid": error is None,
        "evaluation": lic.evaluation,
        "nearlyExpired": lic.expiry is not None
        and not expired
        and lic.expiry - ctx.now < NEARLY_EXPIRED_DAYS * DAY,
        "maximumNumberOfUsers": -1 if lic.limit is None else lic.limit,
        "licenseType": lic.license_type,
        "licenseTypeDescriptionKey": f"upm.plugin.license.type.{lic.license_type.lower()}",
        "creationDateString": date_string(ctx.now - 200 * DAY),
        "organizationName": "Example Corp",
        "contactEmail": lic.contact_email,
        "supportEntitlementNumber": lic.sen,
        "pluginSupportEntitlementNumber": lic.sen,
        "enterprise": False,
        "dataCenter": lic.data_center,
        "subscription": lic.subscription,
        "active": not expired,
        "autoRenewal": False,
        "rawLicense": raw_license(ctx.instance.name, app.key),
        "pluginKey": app.key,
    }
    if lic.expiry is not None:
        body["expiryDate"] = ms(lic.expiry)
        body["expiryDateString"] = date_string(lic.expiry)
    if lic.maintenance_expiry is not None:
        body["maintenanceExpiryDate"] = ms(lic.maintenance_expiry)
        body["maintenanceExpiryDateString"] = date_string(lic.maintenance_expiry)
        body["maintenanceExpired"] = ctx.now >= lic.maintenance_expiry
    if error is not None:
        body["error"] = error
    return body


def raw_license(instance: str, key: str) -> str:
    return "AAAB" + hashlib.sha256(f"app/{instance}/{key}".encode()).hexdigest()[:48] + "X02ml"


ROUTES: list[Route] = [
    route(BASE + r"/?", _list),
    route(BASE + r"/(?P<key>[^/]+)-key/license", _license),
]
