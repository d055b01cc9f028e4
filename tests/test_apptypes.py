"""The one registry of application types, and what is derived from it."""

from __future__ import annotations

import subprocess
import sys
import typing

import pytest

from exporter.apptypes import SCANNED_TYPES, TYPES
from exporter.config.load import Application, parse_config
from exporter.config.models import ApplicationBase, ScannedApplicationBase
from exporter.simulator.app import ROUTES
from tests.factories import app_dict


def test_each_type_is_declared_once_with_its_model_source_scan_and_simulator_kind() -> None:
    for name, entry in TYPES.items():
        assert entry.name == name
        assert typing.get_args(entry.model.model_fields["type"].annotation) == (name,)
        assert issubclass(entry.model, ApplicationBase)
        assert (entry.scan is not None) == issubclass(entry.model, ScannedApplicationBase)
        assert entry.simulator in ROUTES, f"{name}: no simulator speaks its API"
    assert SCANNED_TYPES == ("confluence", "bitbucket", "crowd", "atlassian-org")


def test_the_configuration_accepts_exactly_the_registered_types() -> None:
    tags = [str(t) for t in typing.get_args(typing.get_args(Application)[0])]
    assert len(tags) == len(TYPES) + 1  # and the catch-all that reports an unknown type
    for name in TYPES:
        extras = {
            "crowd": {"crowd_application_id": 1, "crowd_application_type": "jira"},
            "atlassian-org": {"org_id": "org-1", "site": "acme.atlassian.net"},
        }
        config = parse_config({"applications": [app_dict(type=name, **extras.get(name, {}))]})
        assert type(config.applications[0]) is TYPES[name].model


@pytest.mark.integration
def test_a_normal_start_does_not_import_the_simulator() -> None:
    code = (
        "import sys, exporter.cli, exporter.serve.web, exporter.sync.poller;"
        "print(sorted(m for m in sys.modules if m.startswith('exporter.simulator')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
