"""license_type is one spelling whatever the product sends, so series never split by case."""

from __future__ import annotations

import pytest

from exporter.sources import confluence, jira, parse
from tests.factories import Upstream, fixture, make_app

CONFLUENCE = "/rest/license/1.0/license"


@pytest.mark.parametrize(
    ("sent", "label"),
    [
        ("COMMERCIAL", "COMMERCIAL"),
        ("Commercial", "COMMERCIAL"),
        ("commercial ", "COMMERCIAL"),
        ("Open Source", "OPEN_SOURCE"),
        ("open-source", "OPEN_SOURCE"),
        ("DATA_CENTER", "DATA_CENTER"),
        ("  ", None),
    ],
)
def test_label_value_is_upper_case_with_underscores(sent: str, label: str | None) -> None:
    assert parse.label_value(sent) == label


async def test_confluence_display_spelling_becomes_the_enum_spelling() -> None:
    routes = {
        f"{CONFLUENCE}/userCount": fixture("confluence/userCount.json"),
        f"{CONFLUENCE}/maxUsers": fixture("confluence/maxUsers.json"),
        f"{CONFLUENCE}/remainingSeats": fixture("confluence/remainingSeats.json"),
        f"{CONFLUENCE}/details": fixture("documented/confluence_details_mixed_case.json"),
    }
    snapshot = await confluence.fetch(Upstream(routes).client(), make_app(type="confluence"))
    assert snapshot.products[0].license_type == "COMMERCIAL"


async def test_jira_upm_spellings_agree() -> None:
    routes = {
        jira.ROLES: fixture("jira/applicationrole.json"),
        jira.LICENSE.format(key="jira-software"): {"licenseType": "Commercial"},
        jira.LICENSE.format(key="jira-servicedesk"): {"licenseType": "COMMERCIAL"},
    }
    snapshot = await jira.fetch(Upstream(routes).client(), make_app())
    types = {p.product: p.license_type for p in snapshot.products}
    assert types["jira-software"] == types["jira-servicedesk"] == "COMMERCIAL"


def test_equal_short_strings_from_separate_bodies_are_one_object() -> None:
    """Every application's snapshots repeat product keys and license types (issue #15)."""
    import json

    first, second = (json.loads('{"k": "jira-software", "t": "Commercial"}') for _ in range(2))
    assert first["k"] is not second["k"]  # what json gives: a copy per body
    path = "/rest/x"
    assert parse.text(first, "k", path) is parse.text(second, "k", path)
    assert parse.label_value(first["t"]) is parse.label_value(second["t"])
    long = "x" * (parse.SHARED_LENGTH + 1)
    assert parse.text({"k": long}, "k", path) == long  # long values are kept as they are
