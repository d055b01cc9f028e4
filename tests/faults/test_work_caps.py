"""Bounded work per application: a product cap, a JSON parse budget, deep nesting as a plain
invalid_response, sibling requests cancelled when one fails, product keys escaped in paths."""

from __future__ import annotations

import asyncio
import logging
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from exporter.config.targets import resolve
from exporter.simulator import SimInstance, SimProduct, Simulator
from exporter.sources import bitbucket, confluence, crowd, jira, jira_cloud
from exporter.sources.http import LinkClient
from exporter.sources.model import SourceError
from exporter.sync.poller import Poller
from tests.factories import (
    JSON,
    Upstream,
    app_dict,
    json_response,
    make_app,
    make_config,
    make_targets,
    types_with,
)

LIMIT = "/rest/plugins/applications/1.0/installed/{key}/license"


def _roles(n: int) -> list[dict[str, Any]]:
    return [
        {"key": f"jira-role-{i}", "userCount": 1, "numberOfSeats": 10, "remainingSeats": 9}
        for i in range(n)
    ]


async def test_thousands_of_roles_fail_before_any_license_request() -> None:
    """5,000 roles from a real (simulated) Jira: one request, a clear reason, no fan-out."""
    products = [SimProduct(f"jira-role-{i}", 10, 1) for i in range(5000)]
    sim = Simulator([SimInstance("jira-many", "jira", products)])
    await sim.start()
    config = make_config(
        app_dict(
            "many",
            "jira",
            url=sim.url("jira-many"),
            link={"basic_auth": {"username": "admin", "password": "admin"}},
        ),
        timeout="5s",
    )
    poller = Poller(resolve(config))
    try:
        await poller.run_due()
    finally:
        await poller.close()
        await sim.stop()
    state = poller.states["many"]
    assert dict(state.failures) == {"invalid_response": 1}, state.sync.last_error
    assert "5000 products, more than the limit of 100" in (state.sync.last_error or "")


@pytest.mark.parametrize(
    ("fetch", "type_", "routes", "extra"),
    [
        (
            jira_cloud.fetch,
            "jira-cloud",
            {
                "/rest/api/3/applicationrole": _roles(101),
                "/rest/api/3/instance/license": {"applications": []},
            },
            {},
        ),
        (
            crowd.fetch,
            "crowd",
            {
                "/rest/admin/1.0/licensing/3/jira-types": {
                    "values": [{"key": f"jira-t{i}"} for i in range(101)]
                }
            },
            {"crowd_application_id": 3, "crowd_application_type": "jira"},
        ),
    ],
)
async def test_other_sources_cap_products_too(
    fetch: Callable[..., Awaitable[Any]], type_: str, routes: dict[str, Any], extra: dict[str, Any]
) -> None:
    up = Upstream(routes)
    app = make_app("a", type_, **extra)
    with pytest.raises(SourceError) as exc:
        await fetch(up.client(app), app)
    assert exc.value.reason == "invalid_response"
    assert "101 products, more than the limit of 100" in exc.value.message
    assert len(up.requests) <= 2


async def test_a_body_of_tiny_arrays_is_refused_within_a_parse_budget() -> None:
    body = b"[" + b"[]," * (10 * 2**20 // 3) + b"[]]"  # 10 MiB, 3.5 million empty arrays
    up = Upstream({"/x": httpx.Response(200, content=body, headers={"Content-Type": JSON})})
    client = up.client(max_body=16 * 2**20)
    tracemalloc.start()
    try:
        with pytest.raises(SourceError) as exc:
            await client.get_json("/x")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"tiny arrays: peak {peak / 2**20:.1f} MiB for a {len(body) / 2**20:.1f} MiB body")
    assert exc.value.reason == "invalid_response"
    assert "too complex" in exc.value.message
    # The body itself, held twice at most while it is read, and no parsed objects.
    assert peak < 3 * len(body)


async def test_deeply_nested_json_is_a_plain_invalid_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    route = httpx.Response(200, content=body, headers={"Content-Type": JSON})
    up = Upstream({"/rest/api/1.0/admin/license": route})
    client = up.client(make_app("bb", "bitbucket"))
    poller = Poller(
        make_targets(app_dict("bb", "bitbucket")),
        types=types_with({"bitbucket": lambda _, app: bitbucket.fetch(client, app)}),
    )
    await poller.run_due()
    await poller.close()
    state = poller.states["bb"]
    assert dict(state.failures) == {"invalid_response": 1}
    assert "nested too deeply" in (state.sync.last_error or "")
    assert "unexpected" not in (state.sync.last_error or "")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_failed_request_cancels_its_siblings() -> None:
    """Confluence fetches four paths at once: a 401 on one stops the three still waiting."""
    release = asyncio.Event()
    waiting: list[str] = []
    cancelled: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/userCount"):
            await asyncio.sleep(0.01)  # the others are in flight by now
            return httpx.Response(401, headers={"Content-Type": "text/html"})
        waiting.append(path)
        try:
            await release.wait()
        except asyncio.CancelledError:
            cancelled.append(path)
            raise
        return json_response({"count": 1})

    app = make_app("c", "confluence")
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = LinkClient(http, app.link, 5.0, 1 << 20)
    try:
        with pytest.raises(SourceError) as exc:
            await confluence.fetch(client, app)
        for _ in range(5):
            await asyncio.sleep(0)
        assert exc.value.reason == "http_401"
        assert len(waiting) == 3
        assert sorted(cancelled) == sorted(waiting)
    finally:
        release.set()
        await http.aclose()


async def test_product_keys_are_percent_encoded_in_paths() -> None:
    role = {"key": "jira/../../admin?x=1#", "userCount": 1, "numberOfSeats": 5, "remainingSeats": 4}
    up = Upstream({"/rest/api/2/applicationrole": [role]})
    snapshot = await jira.fetch(up.client(), make_app())
    assert [p.product for p in snapshot.products] == [role["key"]]
    (_, license_request) = up.requests
    assert license_request.url.raw_path == (
        b"/ctx/rest/plugins/applications/1.0/installed/jira%2F..%2F..%2Fadmin%3Fx%3D1%23/license"
    )
