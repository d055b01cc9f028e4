"""Simulated instances with exact numbers, and the credentials the simulator accepts.

Importable helpers for the simulator tests; the fixtures that start a simulator are in conftest.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from exporter.simulator import SimInstance, SimProduct, Simulator
from exporter.simulator.model import DAY
from tests.fakes import T0


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ADMIN = basic("admin", "admin")
VIEWER = basic("viewer", "viewer")
WRONG = basic("admin", "wrong")


def jira_instance(name: str = "jira-a", **kw: Any) -> SimInstance:
    products = [
        SimProduct("jira-software", 500, 430, amplitude=10, period_seconds=3600,
                   trend_per_day=2, expiry=T0 + 30 * DAY, maintenance_expiry=T0 + 60 * DAY,
                   created=T0 - 335 * DAY, sen="SEN-1"),
        SimProduct("jira-servicedesk", 50, 45, expiry=T0 + 200 * DAY, sen="SEN-2"),
        SimProduct("jira-core", None, 120, sen="SEN-3"),
    ]  # fmt: skip
    return SimInstance(name, "jira", products, token="pat-jira", **kw)


def confluence_instance(
    name: str = "conf-a", limit: int | None = 500, version: str = "8.5.9"
) -> SimInstance:
    product = SimProduct("confluence", limit, 452, expiry=T0 + 365 * DAY,
                         maintenance_expiry=T0 + 25 * DAY, sen="SEN-4")  # fmt: skip
    return SimInstance(name, "confluence", [product], version=version, token="pat-conf")


def bitbucket_instance(
    name: str = "bb-a", limit: int | None = 100, **product_kw: Any
) -> SimInstance:
    kw: dict[str, Any] = {
        "expiry": T0 + 12 * DAY + 3600,
        "maintenance_expiry": T0 + 12 * DAY,
        "grace_period_end": T0 + 42 * DAY,
        "created": T0 - 340 * DAY,
        "sen": "SEN-5",
    }
    kw.update(product_kw)
    product = SimProduct("bitbucket", limit, 88, **kw)
    return SimInstance(name, "bitbucket", [product], token="pat-bb")


SimClient = tuple[Simulator, TestClient[web.Request, web.Application]]
MakeClient = Callable[..., Awaitable[SimClient]]


# Jira Cloud: an email address and an API token, and a site-admin-less viewer.
CLOUD_TOKEN = basic("admin@example.com", "api-token")
CLOUD_VIEWER = basic("viewer@example.com", "viewer")


def cloud_instance() -> SimInstance:
    return SimInstance(
        "site",
        "jira-cloud",
        [
            SimProduct("jira-software", 100, 70, trend_per_day=1.0),
            SimProduct("jira-product-discovery", None, 5, plan="FREE"),
        ],
        username="admin@example.com",
        password="api-token",
        viewer_username="viewer@example.com",
    )
