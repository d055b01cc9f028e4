"""Jira Cloud: application roles, the plan of each product and Atlassian's approximate count."""

from __future__ import annotations

from typing import Literal

from exporter.apptypes.base import AppType
from exporter.config.models import ApplicationBase
from exporter.sources import jira_cloud


class JiraCloudApplication(ApplicationBase):
    type: Literal["jira-cloud"]


TYPE = AppType("jira-cloud", JiraCloudApplication, jira_cloud.fetch, simulator="jira-cloud")
