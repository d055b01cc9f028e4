"""A canary in every secret field, through success and every fault: it must appear nowhere."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from exporter.serve.collector import LicenseCollector
from exporter.serve.status_page import render_status_page
from exporter.simulator import Fault
from exporter.sync.runtime import Runtime
from tests.faults.rig import APPS, CANARY, FAULTS, Rig


async def test_canary_never_leaks(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level, httpx and aiohttp included
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LicenseCollector(lambda: rig.poller.states, rig.clock))
    runtime = Runtime(rig.poller, None)
    outputs: list[str] = []
    faults: list[Fault | None] = [
        None,
        *(f for _, f, _ in FAULTS),
        Fault("unauthorized", captcha=True),
    ]
    for fault in faults:
        for name in APPS.values():
            rig.sim.set_fault(name, fault)
        # All applications at once: a timeout fault costs one deadline, not one per application.
        await asyncio.gather(*(rig.sync(name) for name in APPS.values()))
        outputs.extend(rig.poller.states[name].sync.last_error or "" for name in APPS.values())
        outputs.append(generate_latest(registry).decode())
        outputs.append(render_status_page(runtime))
    assert all(s.sync.up for s in rig.poller.states.values()) is False
    outputs.append(caplog.text)
    outputs.extend(repr(r.args) for r in caplog.records)
    outputs.append(repr(rig.poller.targets))
    assert len(caplog.records) > 50  # the capture really saw the debug traffic
    for text in outputs:
        assert CANARY not in text


@pytest.mark.integration
def test_config_check_never_prints_secrets(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(f"{CANARY}-from-file")
    apps = [
        {
            "name": "a",
            "type": "jira",
            "link": {
                "url": "https://jira.example.com",
                "basic_auth": {"username": "u", "password": f"{CANARY}-1"},
            },
        },
        {
            "name": "b",
            "type": "confluence",
            "link": {
                "url": "https://c.example.com",
                "authorization": {"credentials": f"{CANARY}-2"},
            },
        },
        {
            "name": "c",
            "type": "bitbucket",
            "link": {
                "url": "https://b.example.com",
                "basic_auth": {"username": "u", "password_file": str(secret)},
            },
        },
    ]
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(yaml.safe_dump({"applications": apps}))
    # Invalid in every way around the secrets: the secrets themselves must still not show.
    broken = {
        **apps[0],
        "typo": 1,
        "sync_interval": "soon",
        "link": {**apps[0]["link"], "authorization": {"credentials": f"{CANARY}-3"}},
    }
    bad.write_text(yaml.safe_dump({"applications": [*apps, broken]}))
    for path, code in ((good, 0), (bad, 1)):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "exporter",
                "--config.file",
                str(path),
                "--config.check",
                "--log.level",
                "debug",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == code, result.stderr
        assert CANARY not in result.stdout + result.stderr
