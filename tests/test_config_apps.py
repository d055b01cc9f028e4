"""marketplace_apps: global and per-application, only on the types with UPM."""

from __future__ import annotations

import pytest

from exporter.apptypes import APPS_TYPES
from exporter.config.load import ConfigError
from exporter.config.targets import AppsTarget
from tests.factories import app_dict, make_config, make_targets

CROWD = {"crowd_application_id": 3, "crowd_application_type": "jira"}


def test_the_three_data_center_types_have_apps() -> None:
    assert APPS_TYPES == ("jira", "confluence", "bitbucket")


@pytest.mark.parametrize("type_", APPS_TYPES)
def test_on_by_default_every_six_hours(type_: str) -> None:
    (target,) = make_targets(app_dict("a", type_)).targets
    assert target.apps == AppsTarget(6 * 3600.0)


def test_the_application_setting_wins() -> None:
    targets = make_targets(
        app_dict("off", "jira"),
        app_dict("on", "confluence", marketplace_apps={"sync_interval": "12h"}),
        app_dict("off-too", "bitbucket", marketplace_apps={"enabled": False}),
        marketplace_apps={"enabled": False, "sync_interval": "1h"},
    ).targets
    assert [t.apps for t in targets] == [None, AppsTarget(12 * 3600.0), None]
    (on,) = make_targets(app_dict("a", "jira"), marketplace_apps={"sync_interval": "2h"}).targets
    assert on.apps == AppsTarget(7200.0)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            app_dict("c", "crowd", marketplace_apps={"enabled": True}, **CROWD),
            "applications[0].marketplace_apps: type crowd has no Marketplace apps "
            "(only jira, confluence, bitbucket do)",
        ),
        (
            app_dict("j", "jira-cloud", marketplace_apps={"enabled": False}),
            "applications[0].marketplace_apps: type jira-cloud has no Marketplace apps "
            "(only jira, confluence, bitbucket do)",
        ),
        (
            app_dict("j", "jira", marketplace_apps={"interval": "1h"}),
            "applications[0].marketplace_apps.interval: unknown key",
        ),
        (
            app_dict("j", "jira", marketplace_apps={"sync_interval": "soon"}),
            "applications[0].marketplace_apps.sync_interval:",
        ),
    ],
)
def test_clear_errors(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(entry)
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems
