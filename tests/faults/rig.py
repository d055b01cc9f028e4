"""The fault rig: the demo estate with a canary in every secret, polled over real loopback HTTP.

Importable helpers for the fault tests; conftest.py turns them into fixtures.
"""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path
from typing import Any

from aiohttp import web

from exporter.config.load import Config
from exporter.config.targets import resolve
from exporter.simulator import Fault, SimInstance, Simulator, demo_instances
from exporter.sources.http import SSLContexts
from exporter.sync.poller import Poller
from tests.factories import FakeClock

APPS = {
    "jira": "jira-prod",
    "confluence": "confluence-prod",
    "bitbucket": "bitbucket-prod",
    # The Crowd instance's Jira application (id 3), monitored under the instance's own name.
    "crowd": "crowd",
    "jira-cloud": "jira-cloud",
}
CROWD_KEYS = {"crowd_application_id": 3, "crowd_application_type": "jira"}
# Every secret field carries a canary; tests grep every output for this prefix.
CANARY = "CANARY-9f3a1c"


def canary_instances() -> list[SimInstance]:
    wanted = set(APPS.values())
    return [
        dataclasses.replace(i, password=f"{CANARY}-pw-{i.name}", token=f"{CANARY}-tok-{i.name}")
        for i in demo_instances()
        if i.name in wanted
    ]


def link(sim: Simulator, instance: SimInstance, secret_dir: Path) -> dict[str, Any]:
    url = sim.url(instance.name)
    # Each application uses a different secret field, so all of them meet every fault.
    if instance.type == "jira":
        return {
            "url": url,
            "basic_auth": {"username": instance.username, "password": instance.password},
        }
    if instance.type == "confluence":
        secret = secret_dir / f"{instance.name}.token"
        secret.write_text(instance.token or "")
        return {"url": url, "authorization": {"credentials_file": str(secret)}}
    secret = secret_dir / f"{instance.name}.password"
    secret.write_text(instance.password)
    return {"url": url, "basic_auth": {"username": instance.username, "password_file": str(secret)}}


class Rig:
    """A simulator, a poller of every application in it, and the clock the poller reads."""

    def __init__(
        self, sim: Simulator, config: Config, clock: FakeClock, contexts: SSLContexts | None = None
    ) -> None:
        self.sim = sim
        self.clock = clock
        self.config = config
        self.poller = Poller(resolve(config), clock=clock, contexts=contexts)

    async def sync(self, name: str) -> None:
        await self.poller.sync(name)


FAULTS: list[tuple[str, Fault | None, str]] = [
    ("timeout before headers", Fault("slow", seconds=1.2), "timeout"),  # twice the deadline
    ("slow drip past the deadline", Fault("drip", seconds=0.2), "timeout"),
    ("reset mid-body", Fault("reset"), "connection"),
    ("401", Fault("unauthorized"), "http_401"),
    ("401 CAPTCHA", Fault("unauthorized", captcha=True), "http_401"),
    ("403", Fault("forbidden"), "http_403"),
    ("429 Retry-After", Fault("status", status=429, retry_after="120"), "http_429"),
    ("503 Retry-After", Fault("status", status=503, retry_after="90"), "http_5xx"),
    ("500", Fault("status", status=500), "http_5xx"),
    ("200 HTML login page", Fault("html"), "not_json"),
    ("malformed JSON", Fault("malformed_json"), "not_json"),
    ("missing fields", Fault("wrong_shape", variant="missing"), "invalid_response"),
    ("strings for numbers", Fault("wrong_shape", variant="strings"), "invalid_response"),
    ("negative counts", Fault("wrong_shape", variant="negative"), "invalid_response"),
    ("huge numbers", Fault("wrong_shape", variant="huge_numbers"), "invalid_response"),
    ("array for object", Fault("wrong_shape", variant="wrong_type"), "invalid_response"),
    ("body over the cap", Fault("huge", size=2 * 2**20), "body_too_large"),
]


async def start_tls(sim: Simulator, cert: Path, key: Path) -> tuple[web.AppRunner, str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    runner = web.AppRunner(sim.make_app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"https://127.0.0.1:{port}"
