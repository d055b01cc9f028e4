"""Jira Data Center: one product per application role, license details from UPM."""

from __future__ import annotations

from typing import Literal

from exporter.apptypes.base import AppType
from exporter.config.models import ApplicationBase
from exporter.sources import jira


class JiraApplication(ApplicationBase):
    type: Literal["jira"]


TYPE = AppType("jira", JiraApplication, jira.fetch, simulator="jira")
