from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from exporter.sources import groups, jira
from exporter.sources.model import ProductLicense, SourceError
from tests.factories import Upstream, fixture, json_response, make_app

ROLES = "/rest/api/2/applicationrole"
UPM = "/rest/plugins/applications/1.0/installed/{}/license"
MEMBERS = "/rest/api/2/group/member"


def upstream(roles: str = "jira/applicationrole.json") -> Upstream:
    return Upstream(
        {
            ROLES: fixture(roles),
            UPM.format("jira-software"): fixture("jira/license_jira-software.json"),
            UPM.format("jira-servicedesk"): fixture("jira/license_jira-servicedesk.json"),
            # jira-core: no UPM license endpoint on this version -> 404, skipped
        }
    )


async def test_reads_seats_per_role_and_dates_from_upm() -> None:
    snapshot = await jira.fetch(upstream().client(), make_app())
    assert snapshot.products == (
        ProductLicense(
            "jira-software",
            290,
            500,
            210,
            expiry=1767139200.0,
            license_type="COMMERCIAL",
            evaluation=False,
            data_center=True,
        ),
        ProductLicense(
            "jira-servicedesk",
            38,
            50,
            12,
            expiry=1767225600.0,
            maintenance_expiry=1767225600.0,
            license_type="EVALUATION",
            evaluation=True,
            data_center=False,
        ),
        ProductLicense("jira-core", 0, 500, 210),
    )


async def test_unlimited_from_flag_first_then_negative_seats() -> None:
    snapshot = await jira.fetch(
        upstream("jira/applicationrole_unlimited.json").client(), make_app()
    )
    by_key = {p.product: p for p in snapshot.products}
    # hasUnlimitedSeats wins over numberOfSeats 500
    assert by_key["jira-software"].unlimited and by_key["jira-software"].seats_used == 1290
    assert by_key["jira-core"] == ProductLicense("jira-core", 17, None, None)
    # any key Jira returns becomes a product
    assert by_key["jira-product-discovery"] == ProductLicense("jira-product-discovery", 0, 3, 3)


async def test_remaining_seats_taken_as_reported_not_derived() -> None:
    roles = fixture("jira/applicationrole.json")
    roles[0]["remainingSeats"] = 7  # one license backing several roles
    snapshot = await jira.fetch(Upstream({ROLES: roles}).client(), make_app())
    assert snapshot.products[0].seats_remaining == 7


async def test_calls_upm_once_per_role() -> None:
    up = upstream()
    await jira.fetch(up.client(), make_app())
    paths = sorted(r.url.path for r in up.requests)
    assert paths == sorted(
        ["/ctx" + ROLES]
        + ["/ctx" + UPM.format(k) for k in ("jira-software", "jira-servicedesk", "jira-core")]
        # One request per distinct group: jira-administrators grants two roles, asked once.
        + ["/ctx" + MEMBERS] * 4
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r[0].pop("userCount"), "field 'userCount' is missing"),
        (lambda r: r[0].update(userCount="290"), "field 'userCount' is not an integer: '290'"),
        (lambda r: r[0].update(userCount=-3), "field 'userCount' is negative: -3"),
        (lambda r: r[0].update(numberOfSeats=10**30), "field 'numberOfSeats' is out of range"),
        (lambda r: r[0].update(userCount=True), "field 'userCount' is not an integer: True"),
        (lambda r: r[0].pop("key"), "a role has no 'key'"),
    ],
)
async def test_wrong_shape_is_an_invalid_response(mutate, message) -> None:  # type: ignore[no-untyped-def]
    roles = fixture("jira/applicationrole.json")
    mutate(roles)
    with pytest.raises(SourceError) as exc:
        await jira.fetch(Upstream({ROLES: roles}).client(), make_app())
    assert exc.value.reason == "invalid_response"
    assert message in exc.value.message
    assert exc.value.path == ROLES


async def test_roles_not_a_list_is_an_invalid_response() -> None:
    with pytest.raises(SourceError, match="expected a JSON array, got dict") as exc:
        await jira.fetch(Upstream({ROLES: {"errorMessages": []}}).client(), make_app())
    assert exc.value.reason == "invalid_response"


async def test_upm_failure_other_than_404_fails_the_sync() -> None:
    up = upstream()
    up.routes[UPM.format("jira-software")] = json_response({"errorMessages": ["no"]}, 403)
    with pytest.raises(SourceError) as exc:
        await jira.fetch(up.client(), make_app())
    assert (exc.value.reason, exc.value.path) == ("http_403", UPM.format("jira-software"))


async def test_upm_date_of_wrong_type_is_invalid() -> None:
    up = upstream()
    body = fixture("jira/license_jira-software.json")
    body["expiryDate"] = "31/Dec/25"
    up.routes[UPM.format("jira-software")] = body
    with pytest.raises(SourceError, match="'expiryDate' is not an epoch-millisecond date"):
        await jira.fetch(up.client(), make_app())


async def test_unlimited_role_needs_no_seat_fields() -> None:
    roles = [{"key": "jira-software", "userCount": 12, "hasUnlimitedSeats": True}]
    snapshot = await jira.fetch(Upstream({ROLES: roles}).client(), make_app())
    assert snapshot.products == (ProductLicense("jira-software", 12, None, None),)


async def test_zero_expiry_date_means_no_date() -> None:
    up = upstream()
    body = fixture("jira/license_jira-software.json")
    body["expiryDate"] = 0
    up.routes[UPM.format("jira-software")] = body
    snapshot = await jira.fetch(up.client(), make_app())
    assert snapshot.products[0].expiry is None


def members(totals: dict[str, int]) -> Callable[[httpx.Request], httpx.Response]:
    """The group/member endpoint: the documented page, with `total` per group; 404 otherwise."""

    def handler(request: httpx.Request) -> httpx.Response:
        name = request.url.params.get("groupname", "")
        if name not in totals:
            return json_response({"errorMessages": ["The group does not exist."]}, 404)
        return json_response(fixture("jira/group_member.json") | {"total": totals[name]})

    return handler


async def test_group_members_per_role_one_cheap_request_per_group() -> None:
    up = upstream()
    totals = {"jira-software-users": 212, "jira-administrators": 5, "jira-servicedesk-users": 38}
    up.routes[MEMBERS] = members(totals)
    snapshot = await jira.fetch(up.client(), make_app())
    by_key = {p.product: p.groups for p in snapshot.products}
    assert by_key == {
        "jira-software": (("jira-software-users", 212), ("jira-administrators", 5)),
        "jira-servicedesk": (("jira-servicedesk-users", 38),),
        # jira-core-users answered 404 (gone since the roles were read): no series for it.
        "jira-core": (("jira-administrators", 5),),
    }
    asked = [r.url.params for r in up.requests if r.url.path == "/ctx" + MEMBERS]
    assert sorted(p["groupname"] for p in asked) == sorted([*totals, "jira-core-users"])
    assert {p["maxResults"] for p in asked} == {"1"}  # never pages through members


async def test_group_total_of_the_wrong_type_is_an_invalid_response() -> None:
    up = upstream()
    up.routes[MEMBERS] = json_response(fixture("jira/group_member.json") | {"total": "many"})
    with pytest.raises(SourceError, match="field 'total' is not an integer") as exc:
        await jira.fetch(up.client(), make_app())
    assert (exc.value.reason, exc.value.path) == ("invalid_response", MEMBERS)


async def test_groups_not_a_list_of_names_is_an_invalid_response() -> None:
    roles = fixture("jira/applicationrole.json")
    roles[0]["groups"] = "jira-software-users"
    with pytest.raises(SourceError, match="'groups' is not a list of names"):
        await jira.fetch(Upstream({ROLES: roles}).client(), make_app())


async def test_group_requests_are_capped_per_application() -> None:
    roles = fixture("jira/applicationrole.json")
    roles[0]["groups"] = [f"team-{i:03d}" for i in range(groups.MAX_GROUPS + 20)]
    up = Upstream({ROLES: roles, MEMBERS: fixture("jira/group_member.json")})
    snapshot = await jira.fetch(up.client(), make_app())
    assert len(snapshot.products[0].groups) == groups.MAX_GROUPS
    asked = [r for r in up.requests if r.url.path == "/ctx" + MEMBERS]
    assert len(asked) == groups.MAX_GROUPS


async def test_group_members_refused_leave_the_seats_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    up = upstream()
    up.routes[MEMBERS] = json_response({"errorMessages": ["Forbidden"]}, 403)
    snapshot = await jira.fetch(up.client(), make_app())
    assert [p.groups for p in snapshot.products] == [(), (), ()]
    assert snapshot.products[0].seats_used == 290
    assert "group members refused application=app reason=http_403 groups=4" in caplog.text
