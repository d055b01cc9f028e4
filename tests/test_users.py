"""Counting licensed users by inactivity, and the capped per-user detail."""

from __future__ import annotations

from exporter.config.targets import resolve
from exporter.config.users import ScanSettings
from exporter.sources.model import ProductUsers, UsersSnapshot
from exporter.sources.users import UserScan, exportable_name
from tests.factories import app_dict, make_config

NOW = 1_750_000_000.0
DAY = 86400.0
PERIODS = (("30d", 30 * DAY), ("90d", 90 * DAY))


def test_counts_users_older_than_each_period_and_never_active_in_all() -> None:
    scan = UserScan(ScanSettings(PERIODS), NOW)
    for name, age in [("a", 1), ("b", 31), ("c", 91), ("d", None), ("e", 29.9)]:
        scan.add("jira-software", name, None if age is None else NOW - age * DAY)
    assert scan.result() == UsersSnapshot(
        (ProductUsers("jira-software", 5, 1, (("30d", 3), ("90d", 2))),)
    )


def test_exactly_at_the_cutoff_is_not_older_than_the_period() -> None:
    scan = UserScan(ScanSettings(PERIODS), NOW)
    scan.add("p", "exact", NOW - 30 * DAY)
    scan.add("p", "older", NOW - 30 * DAY - 0.001)
    assert scan.result().products[0].inactive == (("30d", 1), ("90d", 0))


def test_a_declared_product_without_users_reports_zeros() -> None:
    scan = UserScan(ScanSettings(PERIODS), NOW)
    scan.product("jira-core")
    assert scan.result() == UsersSnapshot(
        (ProductUsers("jira-core", 0, 0, (("30d", 0), ("90d", 0))),)
    )


def test_detail_keeps_the_longest_inactive_up_to_the_cap_across_products() -> None:
    scan = UserScan(ScanSettings(PERIODS, detail_after=90 * DAY, detail_max=3), NOW)
    scan.add("software", "recent", NOW - 10 * DAY)  # not inactive long enough
    scan.add("software", "b-old", NOW - 100 * DAY)
    scan.add("core", "never", None)
    scan.add("software", "mail@example.com", NOW - 900 * DAY)  # never a label value
    scan.add("core", "older", NOW - 300 * DAY)
    scan.add("software", "a-old", NOW - 100 * DAY)  # ties broken by name
    scan.add("core", "oldish", NOW - 95 * DAY)  # beyond the cap of 3
    detail = {p.product: p.detail for p in scan.result().products}
    assert detail == {
        "software": (("a-old", NOW - 100 * DAY),),
        "core": (("never", 0.0), ("older", NOW - 300 * DAY)),
    }


def test_detail_is_off_by_default_and_counts_still_include_email_named_users() -> None:
    scan = UserScan(ScanSettings(PERIODS), NOW)
    scan.add("p", "mail@example.com", None)
    (product,) = scan.result().products
    assert product.detail == () and product.never_active == 1 and product.licensed == 1


def test_e_mail_addresses_are_not_exportable_names() -> None:
    assert exportable_name("jcitizen") and exportable_name("svc-build.01")
    assert not exportable_name("jane@example.com") and not exportable_name("")


def test_settings_from_config_keep_labels_as_written() -> None:
    config = make_config(
        app_dict("bb", "bitbucket", inactive_periods=["2w", "1y"]),
        app_dict("c", "confluence"),
        user_detail={"inactive_for": "180d", "max_users": 7},
    )
    bb, c = (target.users for target in resolve(config).targets)
    assert bb is not None and c is not None
    assert bb.settings == ScanSettings((("2w", 14 * DAY), ("1y", 365 * DAY)), 180 * DAY, 7)
    default = c.settings
    assert [label for label, _ in default.periods] == ["30d", "90d", "180d"]
