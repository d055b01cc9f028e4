"""Every upstream fault, for every application type: the sync fails with the right reason, the
last good values stay, one log line is written, /metrics keeps answering from the snapshot."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter.serve.collector import LicenseCollector
from exporter.simulator import Fault
from tests.faults.rig import APPS, FAULTS, Rig

# Paths every sync of the type needs; a 404 there fails the sync.
REQUIRED = {
    "jira": "/rest/api/2/applicationrole",
    "confluence": "/rest/license/1.0/license/userCount",
    "bitbucket": "/rest/api/1.0/admin/license",
    "crowd": "/rest/admin/1.0/licensing/3/summary",
    "jira-cloud": "/rest/api/3/applicationrole",
}


def registry(rig: Rig) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(LicenseCollector(lambda: rig.poller.states, rig.clock))
    return reg


@pytest.mark.parametrize("type_", sorted(APPS))
@pytest.mark.parametrize(("what", "fault", "reason"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_fault_fails_the_sync_and_keeps_last_good_values(
    rig: Rig, caplog: pytest.LogCaptureFixture, type_: str, what: str, fault: Fault, reason: str
) -> None:
    name = APPS[type_]
    reg = registry(rig)
    await rig.sync(name)
    good = generate_latest(reg)
    state = rig.poller.states[name]
    assert state.sync.up is True, state.sync.last_error

    rig.sim.set_fault(name, fault)
    caplog.clear()
    sync = asyncio.create_task(rig.sync(name))
    # /metrics keeps answering from the snapshot while the sync is stuck on the fault.
    while not sync.done():
        assert generate_latest(reg) == good
        await asyncio.sleep(0.005)
    await sync

    assert state.sync.up is False
    assert dict(state.failures) == {reason: 1}, state.sync.last_error
    assert state.sync.fresh(rig.clock.now) is not None
    assert reg.get_sample_value("atlassian_license_sync_up", {"application": name}) == 0
    assert (
        reg.get_sample_value(
            "atlassian_license_sync_failures_total", {"application": name, "reason": reason}
        )
        == 1
    )
    assert (
        reg.get_sample_value(
            "atlassian_license_seats_used",
            {"application": name, "product": state.sync.snapshot.products[0].product},
        )
        is not None
    )  # type: ignore[union-attr]
    records = [r for r in caplog.records if r.name == "exporter.sync.poller"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert records[0].exc_info is None
    assert (
        f"application={name}" in records[0].getMessage()
        and f"reason={reason}" in records[0].getMessage()
    )


@pytest.mark.parametrize("type_", sorted(APPS))
async def test_404_on_a_required_endpoint_fails(rig: Rig, type_: str) -> None:
    name = APPS[type_]
    rig.sim.set_fault(name, Fault("status", status=404, path=REQUIRED[type_]))
    await rig.sync(name)
    state = rig.poller.states[name]
    assert (state.sync.up, dict(state.failures)) == (False, {"http_404": 1})
    assert REQUIRED[type_] in (state.sync.last_error or "") or state.sync.last_error


@pytest.mark.parametrize("type_", ["jira", "confluence"])
async def test_404_on_an_optional_endpoint_still_succeeds(rig: Rig, type_: str) -> None:
    name = APPS[type_]
    rig.sim.set_fault(name, Fault("old_version"))
    await rig.sync(name)
    state = rig.poller.states[name]
    assert state.sync.up is True and state.sync.snapshot is not None
    assert all(p.expiry is None for p in state.sync.snapshot.products)


@pytest.mark.parametrize("type_", sorted(APPS))
async def test_401_is_not_retried_within_the_interval(rig: Rig, type_: str) -> None:
    name = APPS[type_]
    rig.sim.set_fault(name, Fault("unauthorized", captcha=True))
    await rig.poller.run_due()
    after_first = rig.sim.count(name)
    assert after_first >= 1
    for _ in range(59):
        rig.clock.now += 1
        await rig.poller.run_due()
    assert rig.sim.count(name) == after_first  # no request at all within the minute
    rig.clock.now += 1.5
    await rig.poller.run_due()
    assert rig.sim.count(name) > after_first
    assert "CAPTCHA" in (rig.poller.states[name].sync.last_error or "")


@pytest.mark.parametrize("type_", sorted(APPS))
async def test_retry_after_is_honoured(rig: Rig, type_: str) -> None:
    name = APPS[type_]
    rig.sim.set_fault(name, Fault("status", status=429, retry_after="300"))
    await rig.poller.run_due()
    first = rig.sim.count(name)
    for _ in range(299 // 10):  # past the 1m interval and the backoff, not past Retry-After
        rig.clock.now += 10
        await rig.poller.run_due()
    assert rig.sim.count(name) == first
    rig.sim.set_fault(name, None)
    rig.clock.now += 10
    await rig.poller.run_due()
    assert rig.poller.states[name].sync.up is True


async def test_connection_refused_and_dns_failure(rig: Rig) -> None:
    from exporter.config.load import parse_config
    from exporter.config.targets import resolve
    from exporter.sync.poller import Poller

    config = parse_config(
        {
            "applications": [
                {"name": "refused", "type": "jira", "link": {"url": "http://127.0.0.1:1"}},
                {
                    "name": "nodns",
                    "type": "bitbucket",
                    "link": {"url": "http://bitbucket.nonexistent.invalid"},
                },
            ]
        }
    )
    poller = Poller(resolve(config))
    await poller.run_due()
    assert dict(poller.states["refused"].failures) == {"connection": 1}
    assert dict(poller.states["nodns"].failures) == {"dns": 1}
    await poller.close()
