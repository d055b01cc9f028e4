"""TLS to the upstream: a self-signed server fails without its CA, works with ca_file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.simulator import Simulator, demo_instances
from exporter.sync.poller import Poller
from tests.faults.rig import start_tls

pytestmark = pytest.mark.integration  # the certificate is made by openssl (tests/certs.py)


@pytest.mark.parametrize(
    ("tls_config", "up", "reason"),
    [
        ({}, False, "tls"),
        ("ca", True, None),
        ({"insecure_skip_verify": True}, True, None),
    ],
)
async def test_tls_verification(
    self_signed: tuple[Path, Path], tls_config: Any, up: bool, reason: str | None
) -> None:
    cert, key = self_signed
    sim = Simulator([i for i in demo_instances() if i.name == "bitbucket-prod"])
    runner, base = await start_tls(sim, cert, key)
    tls = {"ca_file": str(cert)} if tls_config == "ca" else tls_config
    config = parse_config(
        {
            "applications": [
                {
                    "name": "bb",
                    "type": "bitbucket",
                    "link": {
                        "url": f"{base}/bitbucket-prod",
                        "tls_config": tls,
                        "basic_auth": {"username": "admin", "password": "admin"},
                    },
                }
            ]
        }
    )
    poller = Poller(resolve(config))
    try:
        await poller.run_due()
        state = poller.states["bb"]
        assert state.sync.up is up, state.sync.last_error
        assert dict(state.failures) == ({reason: 1} if reason else {})
        if reason:
            assert "CERTIFICATE_VERIFY_FAILED" in (state.sync.last_error or "")
    finally:
        await poller.close()
        await runner.cleanup()
