from __future__ import annotations

import pytest

from exporter.sources import confluence
from exporter.sources.model import ProductLicense, SourceError
from tests.factories import Upstream, fixture, json_response, make_app

BASE = "/rest/license/1.0/license"


def routes(**override: object) -> dict[str, object]:
    out: dict[str, object] = {
        f"{BASE}/userCount": fixture("confluence/userCount.json"),
        f"{BASE}/maxUsers": fixture("confluence/maxUsers.json"),
        f"{BASE}/remainingSeats": fixture("confluence/remainingSeats.json"),
        f"{BASE}/details": fixture("confluence/details.json"),
    }
    out.update({f"{BASE}/{k}": v for k, v in override.items()})
    return out


async def test_reads_counters_and_details() -> None:
    snapshot = await confluence.fetch(Upstream(routes()).client(), make_app(type="confluence"))
    assert snapshot.products == (
        ProductLicense(
            "confluence",
            452,
            500,
            48,
            expiry=1767139200.0,
            maintenance_expiry=1767139200.0,
            license_type="COMMERCIAL",
            evaluation=False,
            data_center=True,
        ),
    )


async def test_details_404_before_7_1_is_skipped() -> None:
    r = routes()
    del r[f"{BASE}/details"]
    snapshot = await confluence.fetch(Upstream(r).client(), make_app(type="confluence"))
    assert snapshot.products == (ProductLicense("confluence", 452, 500, 48),)


async def test_negative_max_users_means_unlimited() -> None:
    r = routes(
        maxUsers=fixture("confluence/unlimited.json"),
        remainingSeats=fixture("confluence/unlimited.json"),
    )
    snapshot = await confluence.fetch(Upstream(r).client(), make_app(type="confluence"))
    assert snapshot.products[0].unlimited
    assert snapshot.products[0].seats_remaining is None
    assert snapshot.products[0].seats_used == 452


async def test_over_the_limit_remaining_is_zero_not_unlimited() -> None:
    r = routes(userCount={"count": 510}, remainingSeats={"count": 0})
    snapshot = await confluence.fetch(Upstream(r).client(), make_app(type="confluence"))
    assert (snapshot.products[0].seats_limit, snapshot.products[0].seats_remaining) == (500, 0)


async def test_required_counter_failing_fails_the_sync() -> None:
    r = routes(
        maxUsers=json_response({"statusCode": 403, "message": "no", "reason": "Forbidden"}, 403)
    )
    with pytest.raises(SourceError) as exc:
        await confluence.fetch(Upstream(r).client(), make_app(type="confluence"))
    assert (exc.value.reason, exc.value.path) == ("http_403", f"{BASE}/maxUsers")


async def test_count_missing_is_invalid() -> None:
    r = routes(userCount={"total": 3})
    with pytest.raises(SourceError, match="field 'count' is missing") as exc:
        await confluence.fetch(Upstream(r).client(), make_app(type="confluence"))
    assert exc.value.path == f"{BASE}/userCount"
