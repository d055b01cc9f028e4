"""Embedded simulator of the Jira, Confluence and Bitbucket Data Center license REST APIs.

Written only from the API reference (shared/reference/atlassian-apis.md and the vendor
OpenAPI subset), never from the exporter's own parsing code, so tests that run the exporter
against it check two independent readings of the same API.
"""

from exporter.simulator.app import Simulator
from exporter.simulator.demo import demo_instances, generated_instances
from exporter.simulator.model import (
    FAULT_KINDS,
    Fault,
    RecordedRequest,
    SimInstance,
    SimProduct,
)

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "RecordedRequest",
    "SimInstance",
    "SimProduct",
    "Simulator",
    "demo_instances",
    "generated_instances",
]
