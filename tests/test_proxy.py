"""Proxy configuration: Prometheus' keys and rules, Go's NO_PROXY matching, secrets kept out of
errors. The end-to-end checks through a real proxy are in tests/faults/test_proxy.py."""

from __future__ import annotations

from typing import Any

import pytest

from exporter.config.load import ConfigError, parse_config
from exporter.config.models import Link
from exporter.config.targets import resolve
from exporter.serve.status_page import render_status_page
from exporter.sources.http import SSLContexts, build_client
from exporter.sources.proxy import Route, route, use_proxy
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.e2e.processes import free_port

SECRET = "s3cr3t-pw"


def link(**keys: Any) -> Link:
    return Link.model_validate({"url": "https://jira.example.com", **keys})


def problems(**keys: Any) -> list[str]:
    app = {"name": "a", "type": "jira", "link": {"url": "https://jira.example.com", **keys}}
    with pytest.raises(ConfigError) as exc:
        parse_config({"applications": [app]})
    assert SECRET not in str(exc.value)
    return exc.value.problems


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            {"proxy_url": "http://p:3128", "proxy_from_environment": True},
            "proxy_url and proxy_from_environment exclude each other",
        ),
        (
            {"proxy_from_environment": True, "no_proxy": "x.com"},
            "no_proxy needs proxy_url; with proxy_from_environment use NO_PROXY",
        ),
        ({"no_proxy": "x.com"}, "no_proxy needs proxy_url"),
        (
            {"proxy_connect_header": {"X-Token": ["t"]}},
            "proxy_connect_header needs proxy_url or proxy_from_environment",
        ),
        (
            {"proxy_url": f"socks5://u:{SECRET}@p:1080"},
            "'socks5://p:1080' is not an http(s) proxy URL with a host",
        ),
        (
            {"proxy_url": f"http://u:{SECRET}@p:99999"},
            "'http://p:99999': the port is not a number from 0 to 65535",
        ),
        (
            {"proxy_url": "http://p:3128", "proxy_connect_header": {"Bad Name": [SECRET]}},
            "'Bad Name' is not an HTTP header name",
        ),
    ],
)
def test_prometheus_rules_with_clear_errors(keys: dict[str, Any], expected: str) -> None:
    (problem,) = problems(**keys)
    assert problem.startswith("applications[0].link") and problem.endswith(expected)


def test_secrets_stay_out_of_reprs() -> None:
    configured = link(
        proxy_url=f"http://u:{SECRET}@p:3128", proxy_connect_header={"X-Token": [SECRET]}
    )
    assert SECRET not in repr(configured) and SECRET not in str(configured)
    # Hashable like every other Link, though proxy_connect_header is a map.
    assert hash(configured) == hash(configured.model_copy())


@pytest.mark.parametrize(
    ("url", "no_proxy", "proxied"),
    [
        ("https://jira.example.com", "", True),
        ("https://jira.example.com", "*", False),
        ("https://jira.example.com", "example.com", False),  # a domain and its subdomains
        ("https://example.com", "example.com", False),
        ("https://example.com", ".example.com", True),  # a leading dot: subdomains only
        ("https://jira.example.com", ".example.com", False),
        ("https://jira.example.com", "*.example.com", False),
        ("https://badexample.com", "example.com", True),
        ("https://JIRA.Example.com", " other.org , example.COM ", False),
        ("https://jira.example.com", "jira.example.com:443", False),  # the default port
        ("https://jira.example.com", "jira.example.com:8443", True),
        ("http://jira.example.com:8080", "jira.example.com:8080", False),
        ("https://10.1.2.3", "10.1.2.3", False),
        ("https://10.1.2.3:8443", "10.1.2.3:8443", False),
        ("https://10.1.2.3:8443", "10.1.2.3:9443", True),
        ("https://10.1.2.3", "10.0.0.0/8", False),  # CIDR
        ("https://11.1.2.3", "10.0.0.0/8", True),
        ("https://[2001:db8::5]", "2001:db8::/32", False),
        ("https://[2001:db8::5]:8443", "[2001:db8::5]:8443", False),
        ("https://jira.example.com", "10.0.0.0/8", True),  # a CIDR never matches a name
        ("https://jira.example.com", "not/a/cidr, ,:80", True),  # ignored, as Go does
        ("http://localhost:8080", "other.org", False),  # loopback: never proxied
        ("http://127.0.0.5", "other.org", False),
        ("http://[::1]:8080", "other.org", False),
    ],
)
def test_no_proxy_matches_as_go_does(url: str, no_proxy: str, proxied: bool) -> None:
    assert use_proxy(url, no_proxy) is proxied


def test_proxy_url_alone_proxies_loopback_too() -> None:
    # http.ProxyURL in Prometheus: no exceptions at all without no_proxy.
    local = Link.model_validate({"url": "http://127.0.0.1:8080", "proxy_url": "http://p:3128"})
    assert route(local) == Route("http://p:3128")


def test_route_takes_the_userinfo_as_basic_auth_and_keeps_it_out_of_the_url() -> None:
    via = route(
        link(
            proxy_url=f"http://us%40er:{SECRET}@proxy.corp:3128",
            proxy_connect_header={"X-Token": [SECRET, "two"]},
        )
    )
    assert via == Route(
        "http://proxy.corp:3128",
        ("us@er", SECRET),
        (("X-Token", SECRET), ("X-Token", "two")),
    )
    assert via.shown == "proxy.corp:3128"
    assert Route("https://[2001:db8::1]").shown == "[2001:db8::1]:443"
    plain = Link.model_validate(
        {
            "url": "http://jira.example.com",
            "proxy_url": "http://proxy.corp",
            "proxy_connect_header": {"X-Token": [SECRET]},
        }
    )
    # CONNECT headers are for CONNECT: a plain-http link forwards without them, as Go does.
    assert route(plain) == Route("http://proxy.corp") and route(plain).shown == "proxy.corp:80"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("environ", "url", "expected"),
    [
        ({"HTTPS_PROXY": "http://p:1"}, "https://jira.example.com", Route("http://p:1")),
        ({"https_proxy": "p:2"}, "https://jira.example.com", Route("http://p:2")),  # bare
        (
            {"HTTPS_PROXY": "http://up:1", "https_proxy": "http://low:2"},
            "https://jira.example.com",
            Route("http://up:1"),
        ),
        ({"HTTP_PROXY": "http://p:1"}, "https://jira.example.com", None),  # https wants HTTPS_
        ({"HTTP_PROXY": "http://p:1"}, "http://jira.example.com", Route("http://p:1")),
        (
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"},
            "https://jira.example.com",
            None,
        ),
        (
            {"HTTPS_PROXY": "http://p:1", "no_proxy": "other.org"},
            "https://jira.example.com",
            Route("http://p:1"),
        ),
        ({"HTTP_PROXY": "http://p:1"}, "http://localhost:8080", None),
        ({}, "https://jira.example.com", None),
    ],
)
def test_proxy_from_environment(environ: dict[str, str], url: str, expected: Route | None) -> None:
    configured = Link.model_validate({"url": url, "proxy_from_environment": True})
    assert route(configured, environ) == expected


def test_an_unusable_proxy_in_the_environment_fails_the_requests() -> None:
    configured = link(proxy_from_environment=True)
    via = route(configured, {"HTTPS_PROXY": f"socks5://u:{SECRET}@p:1080"})
    assert via is not None and via.problem is not None
    assert via.problem.endswith("'socks5://p:1080' is not an http(s) proxy URL with a host")
    assert SECRET not in via.problem


async def test_the_environment_is_ignored_without_proxy_from_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://p:1")
    client = build_client(link(), SSLContexts(), 1.0)
    try:
        assert client._trust_env is False
        assert not [m for m in client._mounts.values() if m is not None]
    finally:
        await client.aclose()


async def test_status_page_names_the_proxy_never_its_secrets() -> None:
    dead = free_port()  # nothing listens there: the sync fails at the proxy
    config = parse_config(
        {
            "global": {"timeout": "2s"},
            "applications": [
                {
                    "name": "jira",
                    "type": "jira",
                    "link": {
                        "url": "https://jira.example.com",
                        "proxy_url": f"http://u:{SECRET}@127.0.0.1:{dead}",
                        "proxy_connect_header": {"X-Token": [SECRET]},
                    },
                }
            ],
        }
    )
    poller = Poller(resolve(config))
    try:
        await poller.run_due()
    finally:
        await poller.close()
    html = render_status_page(Runtime(poller, None))
    assert f"cannot connect to proxy 127.0.0.1:{dead}" in html
    assert SECRET not in html
