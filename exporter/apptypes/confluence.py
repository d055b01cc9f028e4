"""Confluence Data Center: seats from the license REST resources, users from the admin search."""

from __future__ import annotations

from typing import Literal

from exporter.apptypes.base import AppType
from exporter.config.models import ScannedApplicationBase
from exporter.sources import confluence, confluence_users


class ConfluenceApplication(ScannedApplicationBase):
    type: Literal["confluence"]


TYPE = AppType(
    "confluence",
    ConfluenceApplication,
    confluence.fetch,
    confluence_users.scan,
    simulator="confluence",
)
