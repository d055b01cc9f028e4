"""Crowd Data Center license visibility: one entry per application Crowd reports on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from exporter.apptypes.base import AppType
from exporter.config.models import ScannedApplicationBase
from exporter.sources import crowd


class CrowdApplication(ScannedApplicationBase):
    type: Literal["crowd"]
    # A description is what a missing key's error says: "required for type crowd (...)".
    crowd_application_id: int = Field(
        ge=1, strict=True, description="Crowd's numeric id of the application"
    )
    crowd_application_type: Literal["jira", "confluence", "bitbucket"] = Field(
        description="one of: jira, confluence, bitbucket"
    )


TYPE = AppType("crowd", CrowdApplication, crowd.fetch, crowd.scan_users, simulator="crowd")
