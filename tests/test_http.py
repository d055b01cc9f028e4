from __future__ import annotations

import base64
import gc

import httpx
import pytest

from exporter.config.models import TLSConfig
from exporter.sources.http import (
    LinkClient,
    SSLContexts,
    build_client,
    parse_rate_limit_reset,
    parse_retry_after,
)
from exporter.sources.model import SourceError
from tests.factories import Upstream, json_response, make_app


async def failure(response: httpx.Response, **kw: object) -> SourceError:
    client = Upstream({"/x": response}).client(**kw)  # type: ignore[arg-type]
    with pytest.raises(SourceError) as exc:
        await client.get_json("/x")
    return exc.value


@pytest.mark.parametrize(
    ("status", "headers", "reason", "text"),
    [
        (401, {}, "http_401", "authentication failed"),
        (
            401,
            {
                "X-Seraph-LoginReason": "AUTHENTICATION_DENIED",
                "X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=http://j/login.jsp",
            },
            "http_401",
            "CAPTCHA",
        ),
        (403, {}, "http_403", "admin permission"),
        (404, {}, "http_404", "endpoint not found"),
        (429, {"Retry-After": "30"}, "http_429", "rate limited"),
        (500, {}, "http_5xx", "HTTP 500"),
        (503, {"Retry-After": "120"}, "http_5xx", "HTTP 503"),
        (
            302,
            {"Location": "http://upstream.test/login.jsp?os_destination=%2Frest"},
            "http_3xx",
            "redirected to /login.jsp",
        ),
        (418, {}, "http_4xx", "HTTP 418"),
    ],
)
async def test_status_codes_map_to_reasons(status, headers, reason, text) -> None:  # type: ignore[no-untyped-def]
    exc = await failure(httpx.Response(status, headers=headers, text="<html/>"))
    assert exc.reason == reason and text in exc.message and exc.path == "/x"


async def test_retry_after_is_kept_for_429_and_503() -> None:
    assert (await failure(httpx.Response(429, headers={"Retry-After": "30"}))).retry_after == 30
    assert (await failure(httpx.Response(503, headers={"Retry-After": "7"}))).retry_after == 7
    assert (await failure(httpx.Response(500, headers={"Retry-After": "7"}))).retry_after is None


def test_rate_limit_reset_is_an_iso_8601_time() -> None:
    now = 1_750_000_000.0  # 2025-06-15T15:06:40Z
    assert parse_rate_limit_reset("2025-06-15T15:08:10Z", now) == 90.0
    assert parse_rate_limit_reset("2025-06-15T15:08:10.500+00:00", now) == 90.5
    assert parse_rate_limit_reset("2025-06-15T17:08:10+02:00", now) == 90.0
    assert parse_rate_limit_reset("2025-06-15T15:08:10", now) == 90.0  # no zone: UTC
    assert parse_rate_limit_reset("2025-06-15T15:00:00Z", now) == 0.0  # already past
    assert parse_rate_limit_reset("in a minute", now) is None
    assert parse_rate_limit_reset(None, now) is None


async def test_jira_cloud_429_without_retry_after_waits_for_the_rate_limit_reset() -> None:
    import time
    from datetime import UTC, datetime

    reset = datetime.fromtimestamp(time.time() + 3600, UTC).isoformat()
    exc = await failure(httpx.Response(429, headers={"X-RateLimit-Reset": reset}))
    assert exc.reason == "http_429"
    assert exc.retry_after is not None and 3590 < exc.retry_after <= 3600
    both = {"Retry-After": "30", "X-RateLimit-Reset": reset}
    assert (await failure(httpx.Response(429, headers=both))).retry_after == 30


async def test_post_json_sends_a_json_body_and_query_parameters() -> None:
    up = Upstream({"/search": {"values": []}})
    client = up.client()
    assert await client.post_json("/search", {"jiraType": "jira-core"}, params={"start": 5}) == {
        "values": []
    }
    (request,) = up.requests
    assert request.method == "POST" and request.url.params["start"] == "5"
    assert request.content == b'{"jiraType":"jira-core"}'
    assert request.headers["Content-Type"] == "application/json"


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert parse_retry_after("soon", 0) is None


async def test_html_login_page_is_not_json() -> None:
    exc = await failure(
        httpx.Response(
            200, text="<html>Log in</html>", headers={"Content-Type": "text/html;charset=UTF-8"}
        )
    )
    assert exc.reason == "not_json" and "got text/html" in exc.message


async def test_malformed_json() -> None:
    exc = await failure(
        httpx.Response(200, content=b'{"count": 4', headers={"Content-Type": "application/json"})
    )
    assert exc.reason == "not_json" and "malformed JSON" in exc.message


async def test_body_over_the_cap() -> None:
    body = json_response({"pad": "x" * 5000})
    exc = await failure(body, max_body=1000)
    assert exc.reason == "body_too_large" and "1000 B" in exc.message


async def test_optional_404_is_none_and_json_is_parsed() -> None:
    client = Upstream({"/ok": {"count": 3}}).client()
    assert await client.get_json("/missing", optional=True) is None
    assert await client.get_json("/ok") == {"count": 3}


async def test_a_fetched_response_leaves_no_cycle_behind() -> None:
    """httpx's response and its stream refer to each other; left so, every response (with,
    over a real transport, its connection pool and connections) waited for a full garbage
    collection (issue #15). Freed as soon as the fetch is done, with the collector off."""
    client = Upstream({"/ok": {"count": 3}}).client()
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            assert await client.get_json("/ok") == {"count": 3}
        assert await client.get_json("/missing", optional=True) is None
        left = [o for o in gc.get_objects() if isinstance(o, httpx.Response)]
    finally:
        gc.enable()
    assert left == []


async def test_connection_refused_is_a_connection_failure() -> None:
    app = make_app(url="http://127.0.0.1:1")
    client = LinkClient(build_client(app.link, SSLContexts(), 2.0), app.link, 2.0, 1000)
    with pytest.raises(SourceError) as exc:
        await client.get_json("/rest/x")
    assert exc.value.reason == "connection" and exc.value.path == "/rest/x"


async def test_secret_file_is_read_at_each_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "password"
    secret.write_text("first\n")
    app = make_app(link={"basic_auth": {"username": "u", "password_file": str(secret)}})
    up = Upstream({"/x": {}})
    client = up.client(app)
    await client.get_json("/x")
    secret.write_text("rotated")
    await client.get_json("/x")
    sent = [base64.b64decode(r.headers["Authorization"].split()[1]).decode() for r in up.requests]
    assert sent == ["u:first", "u:rotated"]
    secret.unlink()
    with pytest.raises(SourceError) as exc:
        await client.get_json("/x")
    assert exc.value.reason == "secret_file" and exc.value.path == "/x"
    assert "rotated" not in str(exc.value) and "first" not in str(exc.value)


def test_ssl_contexts_are_shared_per_tls_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    contexts = SSLContexts()
    a = contexts.get(TLSConfig())
    assert contexts.get(TLSConfig()) is a
    assert contexts.get(TLSConfig(server_name="jira.internal")) is a
    assert contexts.get(TLSConfig(insecure_skip_verify=True)) is not a
    assert len(contexts) == 2
