"""Confluence Data Center: seats from the license REST resources, users from the admin search."""

from __future__ import annotations

from typing import Literal

from exporter.apptypes.base import AppType
from exporter.config.models import AppsApplication, ScannedApplicationBase
from exporter.sources import confluence, confluence_users, upm


class ConfluenceApplication(ScannedApplicationBase, AppsApplication):
    type: Literal["confluence"]


TYPE = AppType(
    "confluence",
    ConfluenceApplication,
    confluence.fetch,
    confluence_users.scan,
    simulator="confluence",
    apps=upm.fetch,
)
