"""The renewal planner's series: next tier, prices, group members, application info, the
Data Center dates, owner labels on every application series, and reclaim exclusions."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from exporter import metrics as m
from exporter.config.load import ConfigError, parse_config
from exporter.config.planner import DEFAULT_TIERS, midnight, price_from, tier_above
from exporter.config.users import ScanSettings
from exporter.serve.collector import LicenseCollector
from exporter.sources.model import ProductLicense, ProductUsers, Snapshot, UsersSnapshot
from exporter.sources.users import UserScan
from exporter.sync.poller import AppState
from exporter.sync.schedule import Schedule
from tests.factories import FakeClock, app_dict, at, make_targets
from tests.states import NOW

COST = {"currency": "EUR", "annual": {500: 27000, 1000: 48000, 3000: 120000}}


def planned(
    *products: ProductLicense, app: dict[str, object] | None = None, **global_: object
) -> AppState:
    target = make_targets(app or app_dict("jira-prod", "jira"), **global_).targets[0]
    sync = Schedule[Snapshot](60.0, snapshot=Snapshot(products), up=True)
    sync.last_success, sync.last_attempt, sync.last_duration = at(NOW - 10), at(NOW - 10), 0.25
    return AppState(target, sync, None, Counter())


def exposition(*states: AppState, sunset: tuple[tuple[str, float], ...] = ()) -> str:
    reg = CollectorRegistry(auto_describe=False)
    by_name = {s.name: s for s in states}
    reg.register(LicenseCollector(lambda: by_name, FakeClock(NOW), sunset=lambda: sunset))
    return generate_latest(reg).decode()


def values(text: str, name: str) -> dict[str, float]:
    """Samples of `name` by their labels, written sorted by name as `k="v",...`."""
    out = {}
    for labels, value in re.findall(rf"^{name}\{{(.*)\}} (\S+)$", text, flags=re.M):
        out[",".join(sorted(re.findall(r'\w+="[^"]*"', labels)))] = float(value)
    return out


def test_next_tier_is_the_smallest_above_the_limit_and_absent_at_the_top_or_unlimited() -> None:
    text = exposition(
        planned(
            ProductLicense("jira-software", 430, 500, 70),
            ProductLicense("jira-servicedesk", 40, 50000, 0),  # the top of the ladder
            ProductLicense("jira-core", 120, None, None),  # unlimited
            ProductLicense("odd", 10, 750, 740),  # between tiers
        )
    )
    assert values(text, m.TIER_NEXT_SEATS.name) == {
        'application="jira-prod",product="jira-software"': 1000.0,
        'application="jira-prod",product="odd"': 1000.0,
    }


def test_a_per_application_ladder_replaces_the_global_one() -> None:
    app = app_dict("bitbucket-prod", "bitbucket", tiers=[25, 50, 100, 250, 500])
    text = exposition(planned(ProductLicense("bitbucket", 88, 100, 12), app=app, tiers=[1000]))
    assert values(text, m.TIER_NEXT_SEATS.name) == {
        'application="bitbucket-prod",product="bitbucket"': 250.0
    }


def test_costs_now_and_at_the_next_tier_only_with_cost_configured() -> None:
    products = (
        ProductLicense("jira-software", 430, 500, 70),
        # Between tiers: priced as the smallest priced tier above (1000), as is its next tier.
        ProductLicense("odd", 10, 750, 740),
        ProductLicense("big", 10, 2000, 1990),  # next tier 3000 priced; 2000 not: 3000's price
        ProductLicense("jira-core", 120, None, None),
    )
    assert m.ANNUAL_COST.name not in values_names(exposition(planned(*products)))
    text = exposition(planned(*products, cost=COST))
    assert values(text, m.ANNUAL_COST.name) == {
        'application="jira-prod",currency="EUR",product="jira-software"': 27000.0,
        'application="jira-prod",currency="EUR",product="odd"': 48000.0,
        'application="jira-prod",currency="EUR",product="big"': 120000.0,
    }
    assert values(text, m.NEXT_TIER_ANNUAL_COST.name) == {
        'application="jira-prod",currency="EUR",product="jira-software"': 48000.0,
        'application="jira-prod",currency="EUR",product="odd"': 48000.0,
        'application="jira-prod",currency="EUR",product="big"': 120000.0,
    }


def values_names(text: str) -> set[str]:
    return {line.split("{")[0] for line in text.splitlines() if line and line[0] != "#"}


def test_per_application_cost_replaces_the_global_one() -> None:
    app = app_dict("jira-prod", "jira", cost={"currency": "USD", "annual": {500: 30000}})
    text = exposition(planned(ProductLicense("jira-software", 1, 500, 499), app=app, cost=COST))
    assert values(text, m.ANNUAL_COST.name) == {
        'application="jira-prod",currency="USD",product="jira-software"': 30000.0
    }


def test_group_members_per_product_and_group() -> None:
    product = ProductLicense(
        "jira-software", 430, 500, 70, groups=(("jira-software-users", 420), ("admins", 12))
    )
    assert values(exposition(planned(product)), m.GROUP_MEMBERS.name) == {
        'application="jira-prod",group="jira-software-users",product="jira-software"': 420.0,
        'application="jira-prod",group="admins",product="jira-software"': 12.0,
    }


def test_application_info_for_every_configured_application_even_before_a_sync() -> None:
    never_synced = planned(app=app_dict("cloud", "jira-cloud"))
    never_synced.sync.snapshot, never_synced.sync.up = None, None
    text = exposition(planned(), never_synced)
    assert values(text, m.APPLICATION_INFO.name) == {
        'application="cloud",type="jira-cloud"': 1.0,
        'application="jira-prod",type="jira"': 1.0,
    }


def test_dc_sunset_dates_default_to_atlassians_announcement_at_midnight_utc() -> None:
    sunset = make_targets(app_dict()).sunset
    assert sunset == (("last_expansion", 1837987200.0), ("end_of_life", 1869350400.0))
    text = exposition(sunset=sunset)
    assert values(text, m.DC_SUNSET.name) == {
        'milestone="last_expansion"': 1837987200.0,
        'milestone="end_of_life"': 1869350400.0,
    }
    moved = make_targets(app_dict(), dc_sunset={"end_of_life": "2030-01-31"}).sunset
    assert dict(moved)["end_of_life"] == 1896048000.0


def test_owner_labels_on_every_series_of_the_application_not_on_exporter_series() -> None:
    app = app_dict("jira-prod", "jira", labels={"env": "prod", "team": "jira-admins"})
    state = planned(
        ProductLicense("jira-software", 430, 500, 70, groups=(("g", 1),)),
        app=app,
        labels={"team": "tools", "cost_centre": "4711"},
        cost=COST,
    )
    text = exposition(state, sunset=(("end_of_life", 1.0),))
    # Merged, the application's team winning.
    owner = ['cost_centre="4711"', 'env="prod"', 'team="jira-admins"']
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    for line in samples:
        if line.startswith((m.DC_SUNSET.name, m.EXPORTER_NAMESPACE)):
            assert "team=" not in line
        else:
            assert all(label in line for label in owner), line
    assert len(samples) > 10


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        ({"application": "x"}, "'application' is a label the exporter or Prometheus sets itself"),
        ({"instance": "x"}, "'instance' is a label the exporter or Prometheus sets itself"),
        ({"job": "x"}, "'job' is a label the exporter or Prometheus sets itself"),
        ({"status": "x"}, "'status' is a label the exporter or Prometheus sets itself"),
        ({"group": "x"}, "'group' is a label the exporter or Prometheus sets itself"),
        ({"__team": "x"}, "names starting with '__' are reserved"),
        ({"team-name": "x"}, "'team-name' is not a Prometheus label name"),
        ({"team": 1}, "Input should be a valid string"),
    ],
)
def test_owner_label_problems_are_reported_with_their_location(
    labels: dict[str, object], problem: str
) -> None:
    for doc in (
        {"global": {"labels": labels}, "applications": [app_dict()]},
        {"applications": [app_dict(labels=labels)]},
    ):
        with pytest.raises(ConfigError) as exc:
            parse_config(doc)
        (line,) = exc.value.problems
        where = "global.labels" if "global" in doc else "applications[0].labels"
        assert line.startswith(where) and problem in line, line


@pytest.mark.parametrize(
    ("global_", "where", "problem"),
    [
        ({"tiers": [500, 500]}, "global.tiers", "strictly ascending: 500 follows 500"),
        ({"tiers": [0]}, "global.tiers[0]", "greater than 0"),
        ({"tiers": []}, "global.tiers", "at least one tier is needed"),
        ({"cost": {"currency": "euro", "annual": {500: 1}}}, "global.cost.currency", "match"),
        (
            {"cost": {"currency": "EUR", "annual": {500: -1}}},
            "global.cost.annual[500]",
            "greater than or equal to 0",
        ),
        ({"cost": {"currency": "EUR", "annual": {}}}, "global.cost.annual", "at least 1 item"),
        ({"reclaim": {"exclude_users": ["svc-("]}}, "global.reclaim.exclude_users[0]", "regular"),
        (
            {"dc_sunset": {"last_expansion": "2030-01-01"}},
            "global.dc_sunset",
            "end_of_life must not be before last_expansion",
        ),
        ({"dc_sunset": {"end_of_life": "soon"}}, "global.dc_sunset.end_of_life", "date"),
    ],
)
def test_planner_key_problems_name_the_key(
    global_: dict[str, object], where: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config({"global": global_, "applications": [app_dict()]})
    (line,) = exc.value.problems
    assert line.startswith(where + ":") and problem in line, line


def test_reclaim_on_a_type_without_user_scans_says_so() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config({"applications": [app_dict(reclaim={"exclude_users": ["svc-.*"]})]})
    assert (
        exc.value.problems
        == [
            "applications[0].reclaim: type jira has no user scan (only bitbucket, confluence, crowd do)"
        ]
        or "has no user scan" in exc.value.problems[0]
    )


def test_exclusions_extend_the_global_list_and_are_compiled_once() -> None:
    app = app_dict("bb", "bitbucket", reclaim={"exclude_users": ["bot-.*"]})
    targets = make_targets(app, reclaim={"exclude_users": ["svc-.*"]})
    users = targets.targets[0].users
    assert users is not None
    assert [p.pattern for p in users.settings.exclude] == ["svc-.*", "bot-.*"]
    assert all(isinstance(p, re.Pattern) for p in users.settings.exclude)


def test_defaults_resolve_into_the_target() -> None:
    target = make_targets(app_dict()).targets[0]
    assert (target.tiers, target.cost, target.labels) == (DEFAULT_TIERS, None, ())


def test_excluded_users_hold_seats_but_leave_the_reclaim_counts() -> None:
    settings = dataclasses.replace(
        ScanSettings.of(("90d",), None, ("svc-.*", "bot-[0-9]+", "breakglass")), detail_max=10
    )
    settings = dataclasses.replace(settings, detail_after=90 * 86400.0)
    scan = UserScan(settings, NOW)
    old = NOW - 400 * 86400
    for name, last in [
        ("svc-ci", old),  # excluded, inactive
        ("bot-7", None),  # excluded, never active
        ("breakglass", old),  # excluded
        ("breakglass-2", old),  # a whole-name match only: counted
        ("xsvc-ci", None),  # counted
        ("anna", NOW - 86400),
    ]:
        scan.add("bitbucket", name, last)
    (users,) = scan.result().products
    assert users == ProductUsers(
        "bitbucket",
        licensed=6,
        never_active=1,
        inactive=(("90d", 2),),
        detail=(("xsvc-ci", 0.0), ("breakglass-2", old)),
        excluded=3,
    )


def test_users_excluded_series_with_the_scan() -> None:
    state = planned(app=app_dict("bb", "bitbucket"))
    scan = Schedule[UsersSnapshot](
        3600.0,
        snapshot=UsersSnapshot((ProductUsers("bitbucket", 40, 3, (("90d", 5),), excluded=4),)),
        up=True,
    )
    scan.last_success = scan.last_attempt = at(NOW - 10)
    state.users = scan
    assert values(exposition(state), m.USERS_EXCLUDED.name) == {
        'application="bb",product="bitbucket"': 4.0
    }


def test_tier_and_price_helpers() -> None:
    assert tier_above((500, 1000), 499) == 500
    assert tier_above((500, 1000), 1000) is None
    assert price_from(((500, 1.0), (2000, 2.0)), 1000) == 2.0
    assert price_from(((500, 1.0),), 501) is None
    assert midnight(__import__("datetime").date(1970, 1, 2)) == 86400.0
