"""Links through a real HTTP proxy (Debian's tinyproxy, started per test on loopback) to the
simulator: plain HTTP forwarded, HTTPS tunnelled with CONNECT, no_proxy bypassing it, proxy
authentication, and proxies that refuse. tinyproxy's own log proves which way requests went."""

from __future__ import annotations

import base64
import contextlib
import logging
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.simulator import Simulator, demo_instances
from exporter.sync.poller import Poller
from tests.e2e.processes import Process, free_port
from tests.faults.rig import CANARY, start_tls

pytestmark = pytest.mark.integration

USER, PASSWORD = "proxyuser", f"{CANARY}-proxy"
INSTANCES = ("jira-prod", "bitbucket-prod")


class Tinyproxy:
    """One tinyproxy process in the foreground (-d) with a config written for the test."""

    def __init__(self, tmp: Path, *, auth: bool = False, connect_port: int | None = None):
        self.port = free_port()
        self.log = tmp / "tinyproxy.log"
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Allow 127.0.0.1",
            "Timeout 5",
            "MaxClients 16",
            f'LogFile "{self.log}"',
            "LogLevel Info",
        ]
        if auth:
            lines.append(f"BasicAuth {USER} {PASSWORD}")
        if connect_port is not None:
            lines.append(f"ConnectPort {connect_port}")
        conf = tmp / "tinyproxy.conf"
        conf.write_text("\n".join(lines) + "\n")
        self.process = Process(["tinyproxy", "-d", "-c", str(conf)], tmp / "tinyproxy.out")
        deadline = time.monotonic() + 10
        while "Accepting connections" not in self.text():
            assert self.process.proc.poll() is None, f"tinyproxy exited: {self.process.output()}"
            assert time.monotonic() < deadline, "tinyproxy did not start within 10 s"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def requests(self) -> list[str]:
        """The request lines tinyproxy received: `GET http://...` or `CONNECT host:port`."""
        return [
            line.split("): ", 1)[1].removesuffix(" HTTP/1.1")
            for line in self.text().splitlines()
            if "Request (file descriptor" in line
        ]


@pytest.fixture
def proxies(tmp_path: Path) -> Iterator[list[Tinyproxy]]:
    assert shutil.which("tinyproxy"), "tinyproxy not found: run scripts/test.sh"
    started: list[Tinyproxy] = []
    yield started
    for proxy in started:
        proxy.process.stop()


def start_proxy(proxies: list[Tinyproxy], tmp: Path, name: str, **options: Any) -> Tinyproxy:
    where = tmp / name
    where.mkdir()
    proxy = Tinyproxy(where, **options)
    proxies.append(proxy)
    return proxy


def application(name: str, instance: str, base: str, **link: Any) -> dict[str, Any]:
    kind = "jira" if instance.startswith("jira") else "bitbucket"
    login = {"username": "admin", "password": "admin"}
    return {
        "name": name,
        "type": kind,
        "link": {"url": f"{base}/{instance}", "basic_auth": login, **link},
    }


async def sync(*apps: dict[str, Any]) -> Poller:
    poller = Poller(
        resolve(parse_config({"global": {"timeout": "3s"}, "applications": list(apps)}))
    )
    try:
        await poller.run_due()
    finally:
        await poller.close()
    return poller


@contextlib.asynccontextmanager
async def served(
    self_signed: tuple[Path, Path], secure: bool = False
) -> AsyncIterator[tuple[Simulator, str, dict[str, Any]]]:
    """The simulator on loopback, over TLS if `secure`: itself, its base URL, and the
    tls_config keys that trust it."""
    sim = Simulator([i for i in demo_instances() if i.name in INSTANCES])
    runner, tls = None, {}
    if secure:
        cert, key = self_signed
        runner, base = await start_tls(sim, cert, key)
        tls = {"tls_config": {"ca_file": str(cert)}}
    else:
        base = await sim.start()
    try:
        yield sim, base, tls
    finally:
        await (runner.cleanup() if runner else sim.stop())


def port_of(base: str) -> int:
    return int(base.rpartition(":")[2])


async def test_plain_http_is_forwarded_to_the_proxy(
    tmp_path: Path, proxies: list[Tinyproxy], self_signed: tuple[Path, Path]
) -> None:
    proxy = start_proxy(proxies, tmp_path, "open")
    async with served(self_signed) as (sim, base, _):
        poller = await sync(application("jira", "jira-prod", base, proxy_url=proxy.url))
    assert poller.states["jira"].sync.up is True, poller.states["jira"].sync.last_error
    paths = [r.path + (f"?{r.query}" if r.query else "") for r in sim.requests("jira-prod")]
    # Every request the simulator saw came through the proxy, as an absolute URI (the
    # license and group paths are fetched concurrently, so in any order).
    assert paths and sorted(proxy.requests()) == sorted(f"GET {base}/jira-prod{p}" for p in paths)


async def test_https_tunnels_through_connect(
    tmp_path: Path, proxies: list[Tinyproxy], self_signed: tuple[Path, Path]
) -> None:
    async with served(self_signed, secure=True) as (sim, base, tls):
        proxy = start_proxy(proxies, tmp_path, "open", connect_port=port_of(base))
        poller = await sync(application("bb", "bitbucket-prod", base, proxy_url=proxy.url, **tls))
    assert poller.states["bb"].sync.up is True, poller.states["bb"].sync.last_error
    seen = proxy.requests()
    # Only tunnels: the proxy never sees a path, which travel inside TLS.
    assert seen and set(seen) == {f"CONNECT 127.0.0.1:{port_of(base)}"}
    assert len(seen) <= 4  # the link's pool: at most 4 connections, kept alive
    assert sim.requests("bitbucket-prod")


async def test_no_proxy_bypasses_the_proxy(
    tmp_path: Path, proxies: list[Tinyproxy], self_signed: tuple[Path, Path]
) -> None:
    proxy = start_proxy(proxies, tmp_path, "open")
    async with served(self_signed) as (sim, base, _):
        poller = await sync(
            application("proxied", "bitbucket-prod", base, proxy_url=proxy.url),
            # Bypassed twice over, as in Go: the entry matches, and with no_proxy set a
            # loopback address is never proxied (tests/test_proxy.py has the rules alone).
            application(
                "direct",
                "jira-prod",
                base,
                proxy_url=proxy.url,
                no_proxy=f"127.0.0.1:{port_of(base)}",
            ),
        )
    assert poller.states["proxied"].sync.up and poller.states["direct"].sync.up
    seen = proxy.requests()
    assert seen and all(r.startswith(f"GET {base}/bitbucket-prod/") for r in seen)
    assert sim.requests("jira-prod")  # reached directly


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https-connect"])
async def test_proxy_authentication(
    tmp_path: Path, proxies: list[Tinyproxy], self_signed: tuple[Path, Path], secure: bool
) -> None:
    async with served(self_signed, secure) as (_, base, tls):
        proxy = start_proxy(proxies, tmp_path, "auth", auth=True, connect_port=port_of(base))
        header = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        # Prometheus' way: the proxy's basic auth in proxy_url's userinfo (both schemes) ...
        links: dict[str, dict[str, Any]] = {
            "userinfo": {"proxy_url": proxy.url.replace("://", f"://{USER}:{PASSWORD}@")}
        }
        if secure:  # ... or, for CONNECT only, a Proxy-Authorization in proxy_connect_header.
            links["header"] = {
                "proxy_url": proxy.url,
                "proxy_connect_header": {"Proxy-Authorization": [header]},
            }
        poller = await sync(
            *(application(name, "jira-prod", base, **link, **tls) for name, link in links.items())
        )
    for name in links:
        assert poller.states[name].sync.up is True, poller.states[name].sync.last_error
    assert proxy.requests()


# tinyproxy 1.11 answers 407 when credentials are missing, but 401 when they are wrong.
REFUSALS = [
    pytest.param(False, None, "http_407", "HTTP 407 from proxy", id="http-none-407"),
    pytest.param(True, None, "http_407", "HTTP 407 from proxy", id="connect-none-407"),
    pytest.param(True, "wrong", "connection", "refused the tunnel: 401", id="connect-wrong"),
    pytest.param(False, "wrong", "http_401", "through proxy", id="http-wrong"),
]


@pytest.mark.parametrize(("secure", "password", "reason", "message"), REFUSALS)
async def test_a_proxy_refusing_the_credentials(
    tmp_path: Path,
    proxies: list[Tinyproxy],
    self_signed: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
    secure: bool,
    password: str | None,
    reason: str,
    message: str,
) -> None:
    caplog.set_level(logging.WARNING)
    async with served(self_signed, secure) as (sim, base, tls):
        proxy = start_proxy(proxies, tmp_path, "auth", auth=True, connect_port=port_of(base))
        url = proxy.url
        if password:
            url = url.replace("://", f"://{USER}:{CANARY}-{password}@")
        poller = await sync(application("jira", "jira-prod", base, proxy_url=url, **tls))
    state = poller.states["jira"]
    assert state.sync.up is False and dict(state.failures) == {reason: 1}
    error = state.sync.last_error or ""
    assert message in error and f"proxy 127.0.0.1:{proxy.port}" in error
    (line,) = [r.getMessage() for r in caplog.records if f"reason={reason}" in r.getMessage()]
    assert "application=jira" in line and f"proxy 127.0.0.1:{proxy.port}" in line
    assert CANARY not in caplog.text and CANARY not in error
    assert not sim.requests("jira-prod")  # nothing got past the proxy


async def test_an_unreachable_proxy_gives_connection(
    self_signed: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    dead = free_port()  # nothing listens there
    async with served(self_signed) as (_, base, _):
        poller = await sync(
            application("jira", "jira-prod", base, proxy_url=f"http://u:{CANARY}@127.0.0.1:{dead}")
        )
    state = poller.states["jira"]
    assert dict(state.failures) == {"connection": 1}
    assert f"cannot connect to proxy 127.0.0.1:{dead}" in (state.sync.last_error or "")
    assert CANARY not in caplog.text


async def test_proxy_from_environment_spares_loopback_as_go_does(
    tmp_path: Path,
    proxies: list[Tinyproxy],
    self_signed: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = start_proxy(proxies, tmp_path, "open")
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with served(self_signed) as (_, base, _):
        poller = await sync(
            application("env", "jira-prod", base, proxy_from_environment=True),
            # Without the key, the environment's proxy is ignored (httpx would use it).
            application("plain", "bitbucket-prod", base),
        )
    assert poller.states["env"].sync.up and poller.states["plain"].sync.up
    assert proxy.requests() == []
