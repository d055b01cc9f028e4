"""Credentials never leave the configured origin: a redirect or a paging link to another
scheme, host or port is never requested; the failure names that origin, never a secret."""

from __future__ import annotations

import copy
import logging
import re

import httpx
import pytest

from exporter.sources import bitbucket_users, confluence_users, crowd
from exporter.sources.model import SourceError
from exporter.sources.users import ScanSettings
from exporter.sync.backoff import describe_failure
from tests.factories import Upstream, fixture, make_app, pages

NOW = 1_750_000_000.0
SETTINGS = ScanSettings((("30d", 30 * 86400.0),))
ACTIVE = "/rest/api/user/list/active"
FIRST = fixture("confluence/active_users_0.json")


def confluence_with_next(next_link: str) -> Upstream:
    first = copy.deepcopy(FIRST)
    first["_links"]["next"] = next_link
    return Upstream({ACTIVE: pages({0: first, 2: fixture("confluence/active_users_2.json")})})


async def scan_confluence(up: Upstream) -> object:
    app = make_app("wiki", "confluence")
    return await confluence_users.scan(up.client(app), app, SETTINGS, NOW)


@pytest.mark.parametrize(
    ("link", "origin"),
    [
        (
            "https://upstream.test/ctx/rest/api/user/list/active?start=2",
            "https://upstream.test:443",
        ),
        ("http://evil.example/ctx/rest/api/user/list/active?start=2", "http://evil.example:80"),
        ("http://upstream.test:8443/ctx/rest/api/user/list/active", "http://upstream.test:8443"),
        ("//evil.example/rest/api/user/list/active", "http://evil.example:80"),
        ("http://monitor:s3cret@evil.example/next", "http://evil.example:80"),
    ],
    ids=["scheme", "host", "port", "scheme-relative", "user-info"],
)
async def test_a_next_link_to_another_origin_fails_the_scan(link: str, origin: str) -> None:
    up = confluence_with_next(link)
    with pytest.raises(SourceError) as exc:
        await scan_confluence(up)
    assert exc.value.reason == "invalid_response"
    assert f"another origin {origin}" in exc.value.message
    assert "s3cret" not in exc.value.message
    assert len(up.requests) == 1  # the link was never requested
    assert all(r.url.host == "upstream.test" for r in up.requests)


@pytest.mark.parametrize(
    "link",
    [
        "/rest/api/user/list/active?expand=lastLogin&start=2&limit=2",  # the documented shape
        "http://upstream.test/ctx/rest/api/user/list/active?start=2",  # same origin, absolute
        "http://UPSTREAM.test:80/ctx/rest/api/user/list/active?start=2",  # default port spelled
    ],
)
async def test_same_origin_links_are_fine(link: str) -> None:
    up = confluence_with_next(link)
    await scan_confluence(up)
    assert len(up.requests) == 2


async def test_a_string_continuation_elsewhere_fails_a_bitbucket_scan() -> None:
    page = fixture("bitbucket/users_licensed_0.json") | {
        "nextPageStart": "https://evil.example/rest/api/1.0/users?start=2"
    }
    up = Upstream({bitbucket_users.LICENSED: page})
    app = make_app("bb", "bitbucket")
    with pytest.raises(SourceError, match=re.escape("another origin https://evil.example:443")):
        await bitbucket_users.scan(up.client(app), app, SETTINGS, NOW)
    assert len(up.requests) == 1


async def test_a_crowd_search_page_linking_elsewhere_fails_the_scan() -> None:
    app = make_app("bb", "crowd", crowd_application_id=3, crowd_application_type="bitbucket")
    page = fixture("crowd/licensed-users_empty.json") | {
        "isLastPage": False,
        "_links": {"next": "https://evil.example/crowd/rest/admin/1.0/licensing/3/next"},
    }
    base = "/rest/admin/1.0/licensing/3"
    up = Upstream(
        {
            f"{base}/summary": fixture("crowd/summary_confluence.json"),
            f"{base}/licensed-users/search": page,
        }
    )
    with pytest.raises(SourceError, match=re.escape("another origin https://evil.example:443")):
        await crowd.scan_users(up.client(app), app, SETTINGS, NOW)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://sso.example.com/login?target=%2Frest", "invalid_response"),
        ("http://upstream.test:8080/login.jsp", "invalid_response"),
        ("https://upstream.test/ctx/login.jsp", "invalid_response"),
        ("/ctx/login.jsp", "http_3xx"),
        ("http://upstream.test/ctx/login.jsp", "http_3xx"),
    ],
)
async def test_redirects_elsewhere_are_invalid_responses(location: str, reason: str) -> None:
    up = Upstream({"/x": httpx.Response(302, headers={"Location": location})})
    with pytest.raises(SourceError) as exc:
        await up.client().get_json("/x")
    assert exc.value.reason == reason
    assert len(up.requests) == 1


async def test_the_log_line_names_the_origin_and_never_the_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    location = "https://monitor:s3cret@sso.example.com:8443/login?token=abc"
    up = Upstream({"/x": httpx.Response(301, headers={"Location": location})})
    with pytest.raises(SourceError) as exc:
        await up.client().get_json("/x")
    with caplog.at_level(logging.WARNING):
        failure = describe_failure(exc.value, "sync", "jira-prod")
    assert failure.reason == "invalid_response"
    line = caplog.records[-1].getMessage()
    assert "https://sso.example.com:8443" in line and "reason=invalid_response" in line
    assert "s3cret" not in line and "monitor" not in line and "token" not in line
