"""Exporter state built by hand: one application's sync state and user-scan state at NOW.

Shared by the collector and exposition tests.
"""

from __future__ import annotations

from exporter.sources.model import ProductLicense, Snapshot, UsersSnapshot
from exporter.sources.users import ScanSettings
from exporter.sync.poller import AppState
from exporter.sync.userscans import UserScanState
from tests.factories import make_app

CROWD_APP = {"crowd_application_id": 3, "crowd_application_type": "jira"}
NOW = 1_750_000_000.0


def state(
    name: str = "app", type: str = "jira", *products: ProductLicense, **kw: object
) -> AppState:
    s = AppState(make_app(name, type, **(CROWD_APP if type == "crowd" else {})), 60.0, 30.0)
    s.snapshot = Snapshot(products)
    s.last_success, s.last_attempt, s.last_duration, s.up = NOW - 10, NOW - 10, 0.25, True
    for key, value in kw.items():
        setattr(s, key, value)
    return s


def users_state(snapshot: UsersSnapshot | None, **kw: object) -> UserScanState:
    users = UserScanState(3600.0, ScanSettings((("30d", 30 * 86400.0),)), snapshot=snapshot)
    users.last_success, users.last_duration, users.up = NOW - 60, 12.5, True
    for key, value in kw.items():
        setattr(users, key, value)
    return users
