"""Embedded simulator of the Jira, Confluence, Bitbucket and Crowd Data Center and Jira Cloud
license REST APIs and of the Atlassian organization admin API, with lazily generated user lists.

Written only from the API reference (shared/reference/atlassian-apis.md and the vendor
OpenAPI subset), never from the exporter's own parsing code, so tests that run the exporter
against it check two independent readings of the same API.
"""

from exporter.simulator.app import Simulator
from exporter.simulator.demo import demo_instances, generated_instances
from exporter.simulator.model import (
    FAULT_KINDS,
    CrowdApp,
    Fault,
    RecordedRequest,
    SimInstance,
    SimProduct,
)
from exporter.simulator.users import SimUser, SimUsers

__all__ = [
    "FAULT_KINDS",
    "CrowdApp",
    "Fault",
    "RecordedRequest",
    "SimInstance",
    "SimProduct",
    "SimUser",
    "SimUsers",
    "Simulator",
    "demo_instances",
    "generated_instances",
]
