"""Every fault kind, its scope, the global latency and the request log."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import httpx
import pytest

from exporter.simulator import Fault, RecordedRequest, Simulator
from tests.factories import FakeClock
from tests.simulator.instances import (
    ADMIN,
    WRONG,
    MakeClient,
    SimClient,
    confluence_instance,
    jira_instance,
)

ROLES = "/jira-a/rest/api/2/applicationrole"
UPM = "/jira-a/rest/plugins/applications/1.0/installed/jira-software/license"
COUNT = "/conf-a/rest/license/1.0/license/userCount"
BB = "/bb-a/rest/api/1.0/admin/license"


async def test_slow_delays_the_headers(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("slow", seconds=0.2))
    # A client that gives up before the delay is over sees no headers; a patient one gets all.
    with pytest.raises(TimeoutError):
        await client.get(COUNT, headers=ADMIN, timeout=aiohttp.ClientTimeout(total=0.1))
    resp = await client.get(COUNT, headers=ADMIN)
    assert (resp.status, await resp.json()) == (200, {"count": 452})


async def test_drip_sends_headers_then_one_byte_at_a_time(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("drip", seconds=0.03))
    resp = await client.get(COUNT, headers=ADMIN)  # the headers, before any of the body
    chunks = [chunk async for chunk in resp.content.iter_any()]
    assert b"".join(chunks) == b'{"count":452}'
    assert resp.headers["Content-Length"] == "13"
    assert len(chunks) > 1  # the body came in pieces, a write per byte, not in one


async def test_reset_breaks_the_body_off(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("reset"))
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 200
    with pytest.raises(aiohttp.ClientError):
        await resp.read()
    assert sim.requests("jira-a")[-1].status == 200


async def test_reset_seen_by_httpx_on_a_real_port(clock: FakeClock) -> None:
    sim = Simulator([jira_instance()], clock=clock)
    base = await sim.start()
    try:
        assert sim.url("jira-a") == base + "/jira-a"
        sim.set_fault("jira-a", Fault("reset"))
        async with httpx.AsyncClient(auth=("admin", "admin")) as client:
            with pytest.raises(httpx.TransportError):
                await client.get(sim.url("jira-a") + "/rest/api/2/applicationrole")
            sim.set_fault("jira-a", None)
            resp = await client.get(sim.url("jira-a") + "/rest/api/2/applicationrole")
            assert resp.status_code == 200
    finally:
        await sim.stop()


@pytest.mark.parametrize(
    ("path", "limit", "interval", "fill"),
    [(ROLES, "100", "1", "10"), (COUNT, "100", "1", "10"), (BB, "60", "1", "5")],
)
async def test_429_carries_rate_limit_headers(
    estate: SimClient, path: str, limit: str, interval: str, fill: str
) -> None:
    sim, client = estate
    name = path.split("/")[1]
    sim.set_fault(name, Fault("status", status=429, retry_after="30"))
    resp = await client.get(path, headers=ADMIN)
    assert resp.status == 429
    assert resp.headers["Retry-After"] == "30"
    assert resp.headers["X-RateLimit-Limit"] == limit
    assert resp.headers["X-RateLimit-Remaining"] == "0"
    assert resp.headers["X-RateLimit-Interval-Seconds"] == interval
    assert resp.headers["X-RateLimit-FillRate"] == fill
    # Rate limiting applies to authenticated API calls, not to the anonymous health check.
    assert (await client.get(f"/{name}/status")).status == 200


async def test_429_without_retry_after(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("status", status=429))
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 429
    assert "Retry-After" not in resp.headers


async def test_503_is_maintenance_everywhere(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("status", status=503, retry_after="120"))
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "120"
    assert resp.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert "maintenance" in await resp.text()
    status = await client.get("/jira-a/status")
    assert (status.status, await status.json()) == (503, {"state": "MAINTENANCE"})
    sim.set_fault("jira-a", Fault("status", status=503, variant="json"))
    resp = await client.get(ROLES, headers=ADMIN)
    assert await resp.json() == {"errorMessages": ["503 Service Unavailable"], "errors": {}}


async def test_other_statuses_use_product_bodies(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("bb-a", Fault("status", status=500))
    resp = await client.get(BB, headers=ADMIN)
    assert (resp.status, await resp.json()) == (
        500,
        {"errors": [{"message": "500 Internal Server Error"}]},
    )
    status = await client.get("/bb-a/status")
    assert (status.status, await status.json()) == (500, {"state": "ERROR"})
    sim.set_fault("conf-a", Fault("status", status=502))
    body = await (await client.get(COUNT, headers=ADMIN)).json()
    assert body == {"statusCode": 502, "message": "502 Bad Gateway", "reason": "Bad Gateway"}


async def test_fault_limited_to_a_path(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("status", status=500, path="userCount"))
    assert (await client.get(COUNT, headers=ADMIN)).status == 500
    maxusers = "/conf-a/rest/license/1.0/license/maxUsers"
    assert (await client.get(maxusers, headers=ADMIN)).status == 200


async def test_unauthorized_even_with_good_credentials(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("unauthorized"))
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 401
    assert resp.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert "X-Authentication-Denied-Reason" not in resp.headers
    assert (await client.get("/jira-a/status")).status == 200


async def test_captcha_lockout_headers(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("unauthorized", captcha=True))
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 401
    assert resp.headers["X-Seraph-LoginReason"] == "AUTHENTICATION_DENIED"
    login = client.make_url("/jira-a/login.jsp")
    assert resp.headers["X-Authentication-Denied-Reason"] == f"CAPTCHA_CHALLENGE; login-url={login}"
    sim.set_fault("bb-a", Fault("unauthorized", captcha=True))
    resp = await client.get(BB, headers=ADMIN)
    assert resp.headers["X-Authentication-Denied-Reason"].startswith("CAPTCHA_CHALLENGE")
    body = await resp.json()
    assert body["errors"][0]["exceptionName"].endswith("CaptchaRequiredAuthenticationException")


async def test_forbidden(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("forbidden"))
    resp = await client.get(COUNT, headers=ADMIN)
    assert resp.status == 403
    assert (await resp.json())["statusCode"] == 403


async def test_html_login_page_with_200(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("html"))
    resp = await client.get(ROLES, headers=ADMIN)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html;charset=UTF-8"
    assert "Log in - Jira" in await resp.text()
    assert await (await client.get("/jira-a/status")).json() == {"state": "RUNNING"}


async def test_malformed_json_is_truncated(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("malformed_json"))
    resp = await client.get(COUNT, headers=ADMIN)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
    body = await resp.read()
    assert body == b'{"coun'
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("", {}),
        ("missing", {}),
        ("strings", {"count": "452"}),
        ("negative", {"count": -454}),
        ("huge_numbers", {"count": 10**30}),
        ("wrong_type", [{"count": 452}]),
    ],
)
async def test_wrong_shape_variants(estate: SimClient, variant: str, expected: object) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("wrong_shape", variant=variant))
    resp = await client.get(COUNT, headers=ADMIN)
    assert resp.status == 200
    assert json.loads(await resp.read()) == expected


async def test_wrong_shape_keeps_the_rest_of_a_role(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("jira-a", Fault("wrong_shape", variant="missing"))
    roles = await (await client.get(ROLES, headers=ADMIN)).json()
    assert roles[0]["key"] == "jira-software" and roles[0]["hasUnlimitedSeats"] is False
    assert "numberOfSeats" not in roles[0] and "userCount" not in roles[0]
    sim.set_fault("jira-a", Fault("wrong_shape", variant="wrong_type"))
    assert set(await (await client.get(ROLES, headers=ADMIN)).json()) == {"values"}


async def test_payload_faults_still_need_credentials(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("malformed_json"))
    assert (await client.get(COUNT, headers=WRONG)).status == 401


async def test_huge_body_has_the_requested_size(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("bb-a", Fault("huge", size=2_000_000))
    resp = await client.get(BB, headers=ADMIN)
    body = await resp.read()
    assert len(body) == 2_000_000
    assert json.loads(body)["maximumNumberOfUsers"] == 100


async def test_old_version_hides_the_optional_endpoints(make_client: MakeClient) -> None:
    sim, client = await make_client([jira_instance(), confluence_instance()])
    sim.set_fault("jira-a", Fault("old_version"))
    sim.set_fault("conf-a", Fault("old_version"))
    assert (await client.get(UPM, headers=ADMIN)).status == 404
    assert (await client.get(ROLES, headers=ADMIN)).status == 200
    details = "/conf-a/rest/license/1.0/license/details"
    assert (await client.get(details, headers=ADMIN)).status == 404
    assert (await client.get(COUNT, headers=ADMIN)).status == 200


async def test_latency_applies_to_instances_only(make_client: MakeClient) -> None:
    _, client = await make_client([jira_instance()], latency=0.3)
    with pytest.raises(TimeoutError):  # held back by the latency
        await client.get("/jira-a/status", timeout=aiohttp.ClientTimeout(total=0.1))
    # The control API is not held back: it answers while an instance request still waits.
    held = asyncio.create_task(client.get("/jira-a/status"))
    assert (await client.get("/-/sim/instances")).status == 200
    assert not held.done()
    assert (await held).status == 200


async def test_requests_are_recorded_in_order(estate: SimClient, clock: FakeClock) -> None:
    sim, client = estate
    await client.get(ROLES, headers=ADMIN)
    await client.get(ROLES + "?x=1", headers=WRONG)
    clock.advance(5)
    await client.get("/jira-a/status")
    assert sim.requests("jira-a") == [
        RecordedRequest("GET", "/rest/api/2/applicationrole", 200, "admin", clock.now - 5),
        RecordedRequest("GET", "/rest/api/2/applicationrole", 401, "invalid", clock.now - 5, "x=1"),
        RecordedRequest("GET", "/status", 200, "anonymous", clock.now),
    ]
    assert [(r.method, r.path, r.status) for r in sim.requests("jira-a")] == [
        ("GET", "/rest/api/2/applicationrole", 200),
        ("GET", "/rest/api/2/applicationrole", 401),
        ("GET", "/status", 200),
    ]
    assert sim.count("jira-a", "applicationrole") == 2
    assert sim.requests("conf-a") == []
    sim.reset_requests("jira-a")
    assert sim.requests("jira-a") == []
    await client.get(COUNT, headers=ADMIN)
    sim.reset_requests()
    assert sim.requests("conf-a") == []


async def test_client_giving_up_on_a_drip_is_harmless(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("conf-a", Fault("drip", seconds=0.05))
    timeout = aiohttp.ClientTimeout(total=0.15)
    resp = await client.get(COUNT, headers=ADMIN, timeout=timeout)
    with pytest.raises(asyncio.TimeoutError):
        await resp.read()
    resp.close()
    sim.set_fault("conf-a", None)
    assert (await client.get(COUNT, headers=ADMIN)).status == 200


async def test_stop_does_not_wait_for_a_slow_fault(clock: FakeClock) -> None:
    sim = Simulator([jira_instance()], clock=clock)
    await sim.start()
    sim.set_fault("jira-a", Fault("slow", seconds=30))
    async with httpx.AsyncClient() as client:
        pending = asyncio.create_task(client.get(sim.url("jira-a") + "/status"))
        for _ in range(200):  # the request's arrival is not awaitable from here
            if sim.requests("jira-a"):
                break
            await asyncio.sleep(0.005)
        await asyncio.wait_for(sim.stop(), 10)  # a guard: the fault holds its request for 30 s
        with pytest.raises(httpx.TransportError):
            await pending
