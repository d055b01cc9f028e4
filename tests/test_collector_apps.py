"""The Marketplace apps families: from UPM fixtures to a golden exposition, free apps listed
without license series, stale data dropped, and the apps sync's health apart from sync_up."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import generate_latest

from exporter import metrics as m
from exporter.sources import upm
from exporter.sources.model import AppLicense, AppsSnapshot, MarketplaceApp
from tests.factories import Upstream, make_app
from tests.sources.upm_upstream import ROUTES
from tests.states import NOW, apps_schedule, registry, state

GOLDEN = Path(__file__).parent / "golden" / "upm.prom"


def samples(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + "{")]


async def test_golden_exposition_of_upm_apps() -> None:
    app = make_app("jira-prod", "jira")
    snapshot = await upm.fetch(Upstream(ROUTES).client(app), app)
    s = state("jira-prod", "jira")
    s.apps = apps_schedule(snapshot)
    text = generate_latest(registry(s)).decode()
    # The apps families only, HELP and TYPE included: a valid exposition of its own.
    text = "".join(
        line + "\n"
        for line in text.splitlines()
        if line.removeprefix("# HELP ").removeprefix("# TYPE ").startswith("atlassian_license_app")
    )
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_free_and_unlimited_apps_have_no_limit_and_free_ones_no_license_series() -> None:
    s = state("conf", "confluence")
    s.apps = apps_schedule(
        AppsSnapshot(
            (
                MarketplaceApp("free", "Free", "1", True, None),
                MarketplaceApp("big", "Big", "2", False, AppLicense("ACADEMIC", True, False, None)),
            )
        )
    )
    text = generate_latest(registry(s)).decode()
    assert samples(text, m.APP_INFO.name) == [
        f'{m.APP_INFO.name}{{app="free",application="conf",enabled="true",license_type="none",'
        'name="Free",version="1"} 1.0',
        f'{m.APP_INFO.name}{{app="big",application="conf",enabled="false",'
        'license_type="ACADEMIC",name="Big",version="2"} 1.0',
    ]
    assert samples(text, m.APP_SEATS_LIMIT.name) == []
    assert samples(text, m.APP_VALID.name) == [
        f'{m.APP_VALID.name}{{app="big",application="conf"}} 1.0'
    ]


def test_a_failed_apps_sync_keeps_sync_up_and_the_last_apps_until_stale() -> None:
    snapshot = AppsSnapshot((MarketplaceApp("a", "A", "1", True, None),))
    s = state("jira", "jira")
    s.apps = apps_schedule(snapshot, up=False)
    text = generate_latest(registry(s)).decode()
    assert f'{m.SYNC_UP.name}{{application="jira"}} 1.0' in text
    assert f'{m.APPS_SYNC_UP.name}{{application="jira"}} 0.0' in text
    assert samples(text, m.APP_INFO.name)
    stale = generate_latest(registry(s, now=NOW - 30 + 3 * 21600 + 1)).decode()
    assert not samples(stale, m.APP_INFO.name)
    assert f'{m.APPS_SYNC_UP.name}{{application="jira"}} 0.0' in stale


def test_no_apps_series_where_the_apps_sync_is_off() -> None:
    s = state("jira", "jira")
    s.apps = None
    text = generate_latest(registry(s)).decode()
    assert not samples(text, m.APPS_SYNC_UP.name)
