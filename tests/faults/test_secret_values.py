"""Secrets with control characters, invalid UTF-8 or nothing at all: reason secret_file, and the
value never reaches the log, the status page or /metrics (a canary stands in for the secret)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.serve.collector import LicenseCollector
from exporter.serve.status_page import render_status_page
from exporter.simulator import Simulator, demo_instances
from exporter.sources.http import LinkClient, auth_for
from exporter.sources.model import SourceError
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import make_app
from tests.faults.rig import CANARY

SECRET = f"{CANARY}-hostile"
# What a careless `echo`, an editor or a broken template leaves in a secret file.
BAD_FILES: dict[str, bytes] = {
    "second line": f"{SECRET}\nsecond-line".encode(),
    "CR LF inside": f"{SECRET}\r\nX-Injected: 1".encode(),
    "NUL": f"{SECRET}\0".encode(),
    "escape": f"{SECRET}\x1b[0m".encode(),
    "DEL": f"{SECRET}\x7f".encode(),
    "invalid UTF-8": SECRET.encode() + b"\xff\xfe",
    "empty": b"",
    "only a newline": b"\n",
}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator([i for i in demo_instances() if i.name == "bitbucket-prod"])
    await simulator.start()
    yield simulator
    await simulator.stop()


def _outputs(poller: Poller, caplog: pytest.LogCaptureFixture) -> list[str]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LicenseCollector(lambda: poller.states))
    return [
        generate_latest(registry).decode(),
        render_status_page(Runtime(poller, None)),
        caplog.text,
        *(repr(r.args) for r in caplog.records),
    ]


async def _sync_once(sim: Simulator, link: dict[str, Any]) -> Poller:
    url = sim.url("bitbucket-prod")
    config = parse_config(
        {"applications": [{"name": "bb", "type": "bitbucket", "link": {"url": url, **link}}]}
    )
    poller = Poller(resolve(config))
    await poller.run_due()
    await poller.close()
    return poller


@pytest.mark.parametrize("field", ["credentials_file", "password_file"])
@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
async def test_bad_secret_file_is_secret_file_without_the_value(
    sim: Simulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    field: str,
    content: bytes,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = tmp_path / "secret"
    secret.write_bytes(content)
    if field == "credentials_file":
        link: dict[str, Any] = {"authorization": {"credentials_file": str(secret)}}
    else:
        link = {"basic_auth": {"username": "admin", "password_file": str(secret)}}
    poller = await _sync_once(sim, link)
    state = poller.states["bb"]
    assert dict(state.failures) == {"secret_file": 1}, state.sync.last_error
    assert str(secret) in (state.sync.last_error or "")
    for text in _outputs(poller, caplog):
        assert CANARY not in text


@pytest.mark.parametrize("value", [f"{SECRET}\nx", f"{SECRET}\r\n", f"{SECRET}\0", ""])
@pytest.mark.parametrize("field", ["credentials", "password"])
async def test_bad_inline_secret_is_secret_file_without_the_value(
    sim: Simulator, caplog: pytest.LogCaptureFixture, field: str, value: str
) -> None:
    caplog.set_level(logging.DEBUG)
    if field == "credentials":
        link: dict[str, Any] = {"authorization": {"credentials": value}}
    else:
        link = {"basic_auth": {"username": "admin", "password": value}}
    poller = await _sync_once(sim, link)
    state = poller.states["bb"]
    assert dict(state.failures) == {"secret_file": 1}, state.sync.last_error
    for text in _outputs(poller, caplog):
        assert CANARY not in text


async def test_http_library_exception_text_is_redacted() -> None:
    """An exception that quotes a header (as h11's 'Illegal header value b...' does) loses it."""

    def echo_header(request: httpx.Request) -> httpx.Response:
        value = request.headers.raw[-1][1] if request.headers.raw else b""
        header = request.headers["Authorization"].encode()
        raise httpx.LocalProtocolError(f"Illegal header value {header!r} {value!r}")

    app = make_app(link={"basic_auth": None, "authorization": {"credentials": SECRET}})
    http = httpx.AsyncClient(transport=httpx.MockTransport(echo_header), auth=auth_for(app.link))
    client = LinkClient(http, app.link, 5.0, 1 << 20)
    with pytest.raises(SourceError) as exc:
        await client.get_json("/x")
    await http.aclose()
    assert exc.value.reason == "connection"
    assert "LocalProtocolError" in exc.value.message
    assert CANARY not in exc.value.message and CANARY not in str(exc.value)
