from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from exporter.config.load import Application
from exporter.config.targets import resolve
from exporter.serve.collector import LicenseCollector
from exporter.serve.render import IncrementalRenderer
from exporter.serve.web import REGISTRY, make_app
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import app_dict, make_config, types_with


async def fake_fetch(client: LinkClient, app: Application) -> Snapshot:
    if app.name.startswith("bad"):
        raise SourceError(
            "http_401", "/rest/api/2/applicationrole", "HTTP 401: authentication failed"
        )
    return Snapshot(
        (ProductLicense("jira-software", 95, 100, 5), ProductLicense("jira-core", 3, None, None))
    )


async def client_for(runtime: Runtime) -> TestClient:  # type: ignore[type-arg]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        LicenseCollector(lambda: runtime.poller.states, reload_status=lambda: runtime.reload_status)
    )
    client = TestClient(TestServer(make_app(runtime, registry)))
    await client.start_server()
    return client


@pytest.fixture
async def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"applications": [app_dict("good"), app_dict("bad")]}))
    config = make_config(app_dict("good"), app_dict("bad"))
    poller = Poller(resolve(config), types=types_with({"jira": fake_fetch}))
    runtime = Runtime(poller, path, lifecycle=True)
    client = await client_for(runtime)
    yield client, runtime, path
    await client.close()
    await poller.close()


async def test_metrics_before_and_after_sync(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    body = await (await client.get("/metrics")).text()
    assert "atlassian_license_seats_used{" not in body
    await runtime.poller.run_due()
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    body = await response.text()
    assert 'atlassian_license_seats_used{application="good",product="jira-software"} 95.0' in body
    assert 'atlassian_license_sync_up{application="bad"} 0.0' in body
    assert 'atlassian_license_sync_failures_total{application="bad",reason="http_401"} 1.0' in body


async def test_openmetrics_negotiation(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    response = await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await response.text()).endswith("# EOF\n")


async def test_health_and_readiness(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    assert (await client.get("/-/healthy")).status == 200
    response = await client.get("/-/ready")
    assert response.status == 503 and "2 application(s)" in await response.text()
    await runtime.poller.run_due()
    assert (await client.get("/-/ready")).status == 200


async def test_status_page_lists_applications_escaped(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    await runtime.poller.run_due()
    html = await (await client.get("/")).text()
    assert "<td>good</td>" in html and "95 / 100" in html and "3 / unlimited" in html
    assert "http_401: HTTP 401: authentication failed" in html
    assert 'href="/metrics"' in html


async def test_reload_applies_a_good_file_and_refuses_a_bad_one(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, path = setup
    path.write_text(yaml.safe_dump({"applications": [app_dict("good"), app_dict("new")]}))
    response = await client.post("/-/reload")
    assert response.status == 200
    assert set(runtime.poller.states) == {"good", "new"}
    path.write_text("applications: [{name: x, type: nope}]")
    response = await client.post("/-/reload")
    assert response.status == 500 and "must be one of" in await response.text()
    assert set(runtime.poller.states) == {"good", "new"}
    body = await (await client.get("/metrics")).text()
    assert "atlassian_license_exporter_config_last_reload_successful 0.0" in body


async def test_reload_needs_lifecycle_flag(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    runtime.lifecycle = False
    assert (await client.post("/-/reload")).status == 403


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("POST", "/metrics", 405),
        ("GET", "/-/reload", 405),
        ("DELETE", "/", 405),
    ],
)
async def test_unknown_paths_and_wrong_methods(setup, method: str, path: str, status: int) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    assert (await client.request(method, path)).status == status


async def test_oversized_request_body_is_rejected(setup) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = setup
    response = await client.post("/-/reload", data=b"x" * (1024 * 1024))
    assert response.status == 413


async def test_exposition_is_rendered_once_per_state_change(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    calls = 0

    class Counting:
        def collect(self):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            return iter(())

    client.server.app[REGISTRY].register(Counting())
    for _ in range(5):
        await client.get("/metrics")
    assert calls == 1
    await runtime.poller.run_due()  # two syncs end: state changed
    body = await (await client.get("/metrics")).text()
    assert calls == 2 and 'seats_used{application="good"' in body
    await client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert calls == 3  # each format has its own cached body


async def test_gzip_when_accepted_and_only_then(setup) -> None:  # type: ignore[no-untyped-def]
    client, runtime, _ = setup
    await runtime.poller.run_due()
    plain = await client.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept, Accept-Encoding"
    text = await plain.read()
    zipped = await client.get(
        "/metrics", headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await zipped.read()) == text
    refused = await client.get("/metrics", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and await refused.read() == text


@pytest.mark.parametrize("accept", ["", "application/openmetrics-text"])
async def test_incremental_renderer_serves_the_registry_exactly(
    tmp_path: Path, accept: str
) -> None:
    config = make_config(app_dict("good"), app_dict("bad"), app_dict("third"))
    poller = Poller(resolve(config), types=types_with({"jira": fake_fetch}))
    runtime = Runtime(poller, None)
    collector = LicenseCollector(lambda: poller.states, reload_status=lambda: runtime.reload_status)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    client = TestClient(
        TestServer(make_app(runtime, registry, None, IncrementalRenderer(collector)))
    )
    await client.start_server()
    try:
        encoder, _ = choose_encoder(accept)
        for _ in range(2):  # before the first sync, then after it
            body = await (await client.get("/metrics", headers={"Accept": accept})).read()
            assert body == encoder(registry)
            await poller.run_due()
    finally:
        await client.close()
        await poller.close()


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/openmetrics-text; version=1.x", "text/plain; version=0.0.4"),
        ("application/openmetrics-text; version=1.0.0", "application/openmetrics-text"),
    ],
)
async def test_an_accept_header_prometheus_client_cannot_read_gets_text(
    setup,  # type: ignore[no-untyped-def]
    accept: str,
    content_type: str,
) -> None:
    client, _, _ = setup
    response = await client.get("/metrics", headers={"Accept": accept})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith(content_type)
