"""A canary in every secret field of UPM's app licenses (raw license, contact e-mail, SEN),
through success and payload faults on the license path: it must appear nowhere."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.serve.collector import LicenseCollector
from exporter.serve.status_page import render_status_page
from exporter.simulator import Fault, SimInstance, Simulator, demo_instances
from exporter.simulator.upm import raw_license
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import FakeClock

CANARY = "CANARY-7d21e0"
NAMES = ("jira-prod", "confluence-prod", "bitbucket-prod")
LOGIN = {"username": "admin", "password": "admin"}


def instances() -> list[SimInstance]:
    out = []
    for instance in demo_instances():
        if instance.name not in NAMES:
            continue
        apps = [
            app
            if app.license is None
            else dataclasses.replace(
                app,
                license=dataclasses.replace(
                    app.license, sen=f"SEN-{CANARY}", contact_email=f"{CANARY}@example.com"
                ),
            )
            for app in instance.apps
        ]
        out.append(dataclasses.replace(instance, apps=apps))
    return out


async def test_app_license_secrets_never_leak(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sims = instances()
    raws = [raw_license(i.name, a.key) for i in sims for a in i.apps if a.license is not None]
    sim = Simulator(sims)
    await sim.start()
    clock = FakeClock()
    config = parse_config(
        {
            "applications": [
                {
                    "name": i.name,
                    "type": i.type,
                    "link": {"url": sim.url(i.name), "basic_auth": LOGIN},
                }
                for i in sims
            ]
        }
    )
    poller = Poller(resolve(config), clock=clock)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LicenseCollector(lambda: poller.states, clock))
    runtime = Runtime(poller, None)
    outputs: list[str] = []
    try:
        for fault in (
            None,
            Fault("wrong_shape", path="-key/license", variant="strings"),
            Fault("wrong_shape", path="-key/license", variant="wrong_type"),
            Fault("malformed_json", path="-key/license"),
        ):
            for i in sims:
                sim.set_fault(i.name, fault)
            for state in poller.states.values():
                for schedule in state.schedules():
                    schedule.next_due = clock.now
            await poller.run_due()
            for state in poller.states.values():
                assert state.apps is not None and state.apps.up is (fault is None), fault
                outputs.append(state.apps.last_error or "")
            outputs.append(generate_latest(registry).decode())
            outputs.append(render_status_page(runtime))
            outputs.append(repr({n: s.apps for n, s in poller.states.items()}))
    finally:
        await poller.close()
        await sim.stop()
    outputs.append(caplog.text)
    outputs.extend(repr(r.args) for r in caplog.records)
    assert "com.example.jira.scriptrunner" in outputs[len(sims)]  # the apps were exported
    assert len(raws) == 21
    for text in outputs:
        assert CANARY not in text
        for raw in raws:
            assert raw not in text
        assert "AAAB" not in text
