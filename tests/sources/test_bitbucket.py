from __future__ import annotations

import pytest

from exporter.sources import bitbucket
from exporter.sources.model import ProductLicense, SourceError
from tests.factories import Upstream, fixture, make_app

LICENSE = "/rest/api/1.0/admin/license"


async def fetch(body: object) -> tuple[ProductLicense, ...]:
    snapshot = await bitbucket.fetch(Upstream({LICENSE: body}).client(), make_app(type="bitbucket"))
    return snapshot.products


async def test_reads_the_license() -> None:
    assert await fetch(fixture("bitbucket/admin_license.json")) == (
        ProductLicense(
            "bitbucket",
            421,
            500,
            79,
            expiry=1767225599.0,
            maintenance_expiry=1767225599.0,
            grace_period_end=1769817599.0,
        ),
    )


async def test_vendor_example_flag_wins_over_maximum() -> None:
    # The vendor's own example: unlimitedNumberOfUsers true next to maximumNumberOfUsers 12.
    (product,) = await fetch(fixture("bitbucket/vendor_example_license.json"))
    assert product.unlimited and product.seats_remaining is None
    assert product.seats_used == 2
    assert product.expiry == 1372493732.817


async def test_over_the_limit_gives_negative_remaining() -> None:
    (product,) = await fetch(fixture("bitbucket/admin_license_over_limit.json"))
    assert (product.seats_limit, product.seats_used, product.seats_remaining) == (10, 12, -2)
    assert product.expiry is None and product.grace_period_end is None


async def test_status_missing_is_invalid() -> None:
    body = fixture("bitbucket/admin_license.json")
    del body["status"]
    with pytest.raises(SourceError, match="expected a JSON object, got NoneType") as exc:
        await fetch(body)
    assert exc.value.reason == "invalid_response"


async def test_unlimited_license_needs_no_maximum() -> None:
    body = fixture("bitbucket/admin_license.json")
    body["unlimitedNumberOfUsers"] = True
    del body["maximumNumberOfUsers"]
    (product,) = await fetch(body)
    assert product.unlimited and product.seats_used == 421


async def test_negative_maximum_means_unlimited() -> None:
    body = fixture("bitbucket/admin_license.json")
    body["unlimitedNumberOfUsers"] = False
    body["maximumNumberOfUsers"] = -1
    (product,) = await fetch(body)
    assert product.unlimited and product.seats_remaining is None
