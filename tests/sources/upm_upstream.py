"""UPM routes from documented bodies (tests/fixtures/upm/): the plugin list and the licenses of
its user-installed apps. Shared by the source and collector tests."""

from __future__ import annotations

from tests.factories import fixture

LIST = "/rest/plugins/1.0/"


def lic(key: str) -> str:
    return f"/rest/plugins/1.0/{key}-key/license"


ROUTES = {
    LIST: fixture("upm/plugins.json"),
    lic("com.example.scriptrunner"): fixture("upm/license_commercial.json"),
    lic("com.example.drawio"): fixture("upm/license_user_mismatch.json"),
    lic("com.example.free-macro"): fixture("upm/license_free.json"),
    # com.example.old-free: no route, the Upstream's 404 (an older UPM's answer for a free app)
}
