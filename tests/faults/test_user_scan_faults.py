"""Faults during a user scan: counted and logged like sync failures, but sync_up stays 1."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import CollectorRegistry

from exporter.serve.collector import LicenseCollector
from exporter.simulator import Fault
from tests.faults.rig import Rig

# (application, a path only its user scan reads)
SCANS = [
    ("bitbucket-prod", "/rest/api/1.0/admin/users"),
    ("confluence-prod", "/rest/api/user/list/active"),
    ("crowd", "/licensed-users/search"),
]


@pytest.mark.parametrize(("name", "path"), SCANS)
async def test_a_failed_user_scan_leaves_sync_up_and_keeps_the_last_counts(
    rig: Rig, caplog: pytest.LogCaptureFixture, name: str, path: str
) -> None:
    await rig.poller.run_due()  # seat sync, then the first user scan
    state = rig.poller.states[name]
    users = state.users
    assert users is not None and users.up is True and users.snapshot is not None
    counts = users.snapshot
    rig.sim.set_fault(name, Fault("status", status=429, retry_after="600", path=path))
    rig.clock.now += 3600 + 31  # the next scan is due (jitter is at most 30 s); so is the sync
    caplog.clear()
    await rig.poller.run_due()
    assert state.sync.up is True and users.up is False
    assert dict(state.failures) == {"http_429": 1}
    assert users.snapshot == counts and users.fresh(rig.clock.now) == counts
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.getMessage().startswith(f"user scan failed application={name} url_path=")
    assert "reason=http_429" in record.getMessage()
    # Retry-After holds back the seat sync of the same server too.
    assert state.sync.next_due >= rig.clock.now + 600 and users.next_due >= rig.clock.now + 600
    reg = CollectorRegistry(auto_describe=False)
    reg.register(LicenseCollector(lambda: rig.poller.states, rig.clock))
    assert reg.get_sample_value("atlassian_license_sync_up", {"application": name}) == 1
    assert reg.get_sample_value("atlassian_license_users_sync_up", {"application": name}) == 0
    failures = {"application": name, "reason": "http_429"}
    assert reg.get_sample_value("atlassian_license_sync_failures_total", failures) == 1
