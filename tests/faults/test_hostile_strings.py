"""One application's bad string never takes /metrics down for the others: upstream strings are
made encodable where they are parsed, and a failure while rendering one application leaves only
that application's license and user samples out."""

from __future__ import annotations

import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from exporter.config.targets import resolve
from exporter.config.users import UserDetail
from exporter.serve.collector import LicenseCollector
from exporter.serve.render import IncrementalRenderer
from exporter.serve.web import make_app
from exporter.simulator.users import SimUser, SimUsers
from exporter.sources.model import ProductLicense
from exporter.sync.runtime import Runtime
from tests.faults.rig import APPS, Rig

LONE = "\ud800"  # a lone UTF-16 surrogate: JSON's "\ud800" decodes to it


@pytest.fixture
def detail_rig(rig: Rig) -> Rig:
    """The fault rig with per-user detail on, so user names become label values."""
    config = rig.config
    detail = UserDetail(inactive_for="30d", max_users=50)
    rig.poller.apply(
        resolve(
            config.model_copy(
                update={"global_": config.global_.model_copy(update={"user_detail": detail})}
            )
        )
    )
    rig.clock.now = 1_767_225_600.0 + 86400  # a day after the simulator's user epoch
    return rig


async def metrics_client(rig: Rig) -> TestClient:  # type: ignore[type-arg]
    runtime = Runtime(rig.poller, None)
    collector = LicenseCollector(lambda: rig.poller.states, rig.clock)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    client = TestClient(
        TestServer(make_app(runtime, registry, renderer=IncrementalRenderer(collector)))
    )
    await client.start_server()
    return client


def hostile_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator's users get names ending in a lone surrogate (sent as JSON `\\ud800`)."""
    original = SimUsers.user

    def user(self: SimUsers, i: int, now: float) -> SimUser:
        found = original(self, i, now)
        return SimUser(**{**found.__dict__, "name": found.name + LONE})

    monkeypatch.setattr(SimUsers, "user", user)


async def test_a_lone_surrogate_in_a_license_type_and_user_names_keeps_metrics_up(
    detail_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    rig = detail_rig
    jira = rig.sim._state(APPS["jira"]).instance
    jira.products[0].license_type = "COMMERCIAL" + LONE
    hostile_names(monkeypatch)
    await rig.poller.run_due()  # seat syncs and the first user scans
    assert all(state.sync.up for state in rig.poller.states.values())
    client = await metrics_client(rig)
    try:
        response = await client.get("/metrics")
        assert response.status == 200
        body = await response.text()
        assert (await client.get("/")).status == 200  # the status page shows the same strings
    finally:
        await client.close()
    for name in APPS.values():
        assert f'atlassian_license_sync_up{{application="{name}"}} 1.0' in body
    # Sanitised where parsed (to the text "\\ud800"), then spelt canonically (upper case,
    # underscores) like every license type.
    assert 'license_type="COMMERCIAL_UD800"' in body
    user_lines = [line for line in body.splitlines() if "_user_last_active_" in line]
    assert user_lines and all("\\\\ud800" in line for line in user_lines if "{" in line)


async def test_a_render_failure_of_one_application_leaves_the_others_served(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bad = APPS["jira"]
    original = LicenseCollector._add_license

    def add_license(families: object, application: str, p: ProductLicense) -> None:
        if application == bad:
            raise RuntimeError(f"cannot format {p.license_type}")
        original(families, application, p)  # type: ignore[arg-type]

    monkeypatch.setattr(LicenseCollector, "_add_license", staticmethod(add_license))
    await rig.poller.run_due()
    client = await metrics_client(rig)
    try:
        caplog.clear()
        for _ in range(2):
            response = await client.get("/metrics")
            assert response.status == 200
            body = await response.text()
            rig.clock.now += 61
            await rig.poller.run_due()  # new snapshots: each application renders again
    finally:
        await client.close()
    for name in APPS.values():
        assert f'atlassian_license_sync_up{{application="{name}"}} 1.0' in body
        seats = f'atlassian_license_seats_used{{application="{name}"'
        assert (seats in body) == (name != bad)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "rendering an application failed, its license and user samples are left out "
        f"application={bad} error=RuntimeError"
    ]
