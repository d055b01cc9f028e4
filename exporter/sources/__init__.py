"""Sources: one module per application type, each `async fetch(client, app) -> Snapshot`; and
user scans, `async scan(client, app, settings, now) -> UsersSnapshot`, for the types that have
them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from exporter.config.load import Application
from exporter.sources import (
    bitbucket,
    bitbucket_users,
    confluence,
    confluence_users,
    crowd,
    jira,
    jira_cloud,
)
from exporter.sources.http import LinkClient
from exporter.sources.model import ProductLicense, Snapshot, SourceError, UsersSnapshot
from exporter.sources.users import ScanSettings

Fetch = Callable[[LinkClient, Application], Awaitable[Snapshot]]
Scan = Callable[[LinkClient, Application, ScanSettings, float], Awaitable[UsersSnapshot]]

SOURCES: dict[str, Fetch] = {
    "jira": jira.fetch,
    "confluence": confluence.fetch,
    "bitbucket": bitbucket.fetch,
    "crowd": crowd.fetch,
    "jira-cloud": jira_cloud.fetch,
}
# Types whose licensed users can be listed with their last activity (userconfig.USER_SCAN_TYPES).
USER_SCANS: dict[str, Scan] = {
    "crowd": crowd.scan_users,
    "bitbucket": bitbucket_users.scan,
    "confluence": confluence_users.scan,
}

__all__ = ["SOURCES", "USER_SCANS", "Fetch", "ProductLicense", "Scan", "Snapshot", "SourceError"]
