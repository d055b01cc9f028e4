"""The one registry of application types. Adding a type: one module here (its configuration
model and its AppType entry, pointing at its source in exporter.sources) and one line below."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from exporter.apptypes import bitbucket, confluence, crowd, jira, jira_cloud
from exporter.apptypes.base import AppType

TYPES: Final[Mapping[str, AppType[Any]]] = {
    entry.name: entry
    for entry in (jira.TYPE, confluence.TYPE, bitbucket.TYPE, crowd.TYPE, jira_cloud.TYPE)
}
# In registry order, as error messages list them.
SCANNED_TYPES: Final = tuple(name for name, entry in TYPES.items() if entry.scan is not None)

__all__ = ["SCANNED_TYPES", "TYPES", "AppType"]
