"""UPM's Marketplace apps from fixtures written from the documented bodies (docs/sources.md)."""

from __future__ import annotations

import pytest

from exporter.sources import upm
from exporter.sources.model import AppLicense, SourceError
from tests.factories import Upstream, fixture, json_response, make_app
from tests.sources.upm_upstream import LIST, ROUTES, lic


async def test_user_installed_apps_with_their_licenses() -> None:
    upstream = Upstream(ROUTES)
    snapshot = await upm.fetch(upstream.client(), make_app())
    keys = [a.key for a in snapshot.apps]
    assert keys == [
        "com.example.scriptrunner",
        "com.example.drawio",
        "com.example.free-macro",
        "com.example.old-free",
    ]
    scriptrunner, drawio, free, old_free = snapshot.apps
    assert (scriptrunner.name, scriptrunner.version, scriptrunner.enabled) == (
        "ScriptRunner",
        "8.20.0",
        True,
    )
    assert scriptrunner.license == AppLicense(
        license_type="COMMERCIAL",
        valid=True,
        evaluation=False,
        seats_limit=500,
        expiry=1798675200.0,
        maintenance_expiry=1798675200.0,
        error=None,
        nearly_expired=False,
        data_center=True,
        subscription=True,
        active=True,
    )
    assert drawio.enabled is False
    assert drawio.license is not None
    assert (drawio.license.license_type, drawio.license.error) == ("EVALUATION", "USER_MISMATCH")
    assert (drawio.license.valid, drawio.license.evaluation) == (False, True)
    assert free.license is None and old_free.license is None


async def test_system_plugins_cost_no_request() -> None:
    upstream = Upstream(ROUTES)
    await upm.fetch(upstream.client(), make_app())
    paths = [r.url.path.removeprefix("/ctx") for r in upstream.requests]
    assert paths[0] == LIST and len(paths) == 1 + 4
    assert not [p for p in paths if "com.atlassian" in p]


def test_unlimited_and_null_limits_are_no_limit() -> None:
    unlimited = upm.parse_license(fixture("upm/license_unlimited.json"), "/p")
    assert unlimited is not None and unlimited.seats_limit is None
    body = fixture("upm/license_commercial.json") | {"maximumNumberOfUsers": None}
    parsed = upm.parse_license(body, "/p")
    assert parsed is not None and parsed.seats_limit is None


def test_snapshot_keeps_no_secret_field() -> None:
    parsed = upm.parse_license(fixture("upm/license_commercial.json"), "/p")
    text = repr(parsed)
    for secret in ("AAAB", "SEN-", "licensing@example.com", "Example Corp"):
        assert secret not in text


async def test_a_key_is_escaped_into_its_path() -> None:
    body = {"plugins": [{"key": "a/b?c#d", "userInstalled": True, "enabled": True}]}
    upstream = Upstream({LIST: body, "/rest/plugins/1.0/a%2Fb%3Fc%23d-key/license": {}})
    snapshot = await upm.fetch(upstream.client(), make_app())
    assert upstream.requests[1].url.raw_path.endswith(b"/a%2Fb%3Fc%23d-key/license")
    assert snapshot.apps[0].license is None


async def test_a_failed_license_request_fails_the_sync_with_its_reason() -> None:
    routes = dict(ROUTES)
    routes[lic("com.example.drawio")] = json_response({"message": "boom"}, 500)
    with pytest.raises(SourceError) as caught:
        await upm.fetch(Upstream(routes).client(), make_app())
    assert caught.value.reason == "http_5xx"
    assert caught.value.path == lic("com.example.drawio")


async def test_the_list_itself_is_required() -> None:
    with pytest.raises(SourceError) as caught:
        await upm.fetch(Upstream({}).client(), make_app())
    assert caught.value.reason == "http_404"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "expected a JSON object"),
        ({"plugins": {}}, "expected a JSON array"),
        ({"plugins": [{"userInstalled": True}]}, "a plugin has no 'key'"),
        ({"plugins": [{"key": 5, "userInstalled": True}]}, "not a string"),
        ({"plugins": [{"key": "k" * 201, "userInstalled": True}]}, "longer than 200"),
        ({"plugins": [{"key": "k", "userInstalled": "yes"}]}, "not a boolean"),
    ],
)
async def test_a_broken_list_says_what_is_wrong(body: object, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        await upm.fetch(Upstream({LIST: body}).client(), make_app())
    assert caught.value.reason == "invalid_response"
    assert message in caught.value.message


async def test_more_apps_than_the_cap_is_refused_before_any_license_request() -> None:
    plugins = [
        {"key": f"app-{i}", "userInstalled": True, "enabled": True} for i in range(upm.MAX_APPS + 1)
    ]
    upstream = Upstream({LIST: {"plugins": plugins}})
    with pytest.raises(SourceError) as caught:
        await upm.fetch(upstream.client(), make_app())
    assert f"{upm.MAX_APPS + 1} user-installed apps" in caught.value.message
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"maximumNumberOfUsers": "500"}, "not an integer"),
        ({"expiryDate": "31/Dec/26"}, "epoch-millisecond"),
        ({"valid": "true"}, "not a boolean"),
        ({"error": ["USER_MISMATCH"]}, "not a string"),
    ],
)
def test_a_broken_license_never_quotes_a_secret(change: dict[str, object], message: str) -> None:
    body = fixture("upm/license_commercial.json") | change
    with pytest.raises(SourceError) as caught:
        upm.parse_license(body, "/p")
    assert message in caught.value.message
    shown = str(caught.value)
    assert "AAAB" not in shown and "SEN-" not in shown and "@" not in shown
