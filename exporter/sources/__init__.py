"""Sources: one module per application type, each `async fetch(client, app) -> Snapshot`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from exporter.config import Application
from exporter.http import LinkClient
from exporter.model import ProductLicense, Snapshot, SourceError
from exporter.sources import bitbucket, confluence, jira

Fetch = Callable[[LinkClient, Application], Awaitable[Snapshot]]

SOURCES: dict[str, Fetch] = {
    "jira": jira.fetch,
    "confluence": confluence.fetch,
    "bitbucket": bitbucket.fetch,
}

__all__ = ["SOURCES", "Fetch", "ProductLicense", "Snapshot", "SourceError"]
