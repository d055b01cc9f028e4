"""Bitbucket responses validate against the vendor's OpenAPI subset for Bitbucket DC 9.6."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

from exporter.simulator import Fault, SimUsers
from tests.simulator.instances import (
    ADMIN,
    T0,
    VIEWER,
    WRONG,
    MakeClient,
    SimClient,
    bitbucket_instance,
)

VENDOR = Path(__file__).parents[1] / "vendor"
SPEC_FILE = VENDOR / "bitbucket-dc-9.6-openapi-subset.yaml"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "bitbucket" / "vendor_example_license.json"
LICENSE = "/api/latest/admin/license"
PROPERTIES = "/api/latest/application-properties"


@cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text())
    return data


def response_schema(path: str, status: int) -> tuple[str, dict[str, Any]]:
    """The (content type, schema) the spec declares for `path` answering `status`."""
    content = spec()["paths"][path]["get"]["responses"][str(status)]["content"]
    ((content_type, media),) = content.items()
    return content_type, media["schema"]


def validator(schema: dict[str, Any]) -> OAS30ReadValidator:
    # Carry the components along so the spec's local $refs resolve inside this schema.
    root = {**schema, "components": spec()["components"]}
    return OAS30ReadValidator(root, format_checker=oas30_format_checker)


def validate(body: Any, schema: dict[str, Any]) -> None:
    validator(schema).validate(body)


async def check(client: Any, url: str, spec_path: str, status: int, **kw: Any) -> Any:
    resp = await client.get(url, **kw)
    assert resp.status == status
    content_type, schema = response_schema(spec_path, status)
    # The spec says application/json for errors; the simulator adds the charset as servers do.
    assert resp.headers["Content-Type"].split(";")[0] == content_type.split(";")[0]
    body = await resp.json()
    validate(body, schema)
    return body


@pytest.mark.parametrize("version", ["1.0", "latest"])
async def test_license_body_validates(estate: SimClient, version: str) -> None:
    _, client = estate
    url = f"/bb-a/rest/api/{version}/admin/license"
    resp = await client.get(url, headers=ADMIN)
    assert resp.headers["Content-Type"] == response_schema(LICENSE, 200)[0]
    await check(client, url, LICENSE, 200, headers=ADMIN)


async def test_unlimited_perpetual_license_validates(make_client: MakeClient) -> None:
    inst = bitbucket_instance(limit=None, expiry=None, grace_period_end=None)
    _, client = await make_client([inst])
    body = await check(client, "/bb-a/rest/api/1.0/admin/license", LICENSE, 200, headers=ADMIN)
    assert body["unlimitedNumberOfUsers"] is True


@pytest.mark.parametrize(
    "headers", [{}, WRONG, VIEWER], ids=["anonymous", "wrong-password", "non-admin"]
)
async def test_error_bodies_validate(estate: SimClient, headers: dict[str, str]) -> None:
    _, client = estate
    resp = await client.get("/bb-a/rest/api/1.0/admin/license", headers=headers)
    # The spec lists 401 only; the 403 body has the same RestErrorMessage shape.
    validate(await resp.json(), response_schema(LICENSE, 401)[1])
    if resp.status == 401:
        await check(client, "/bb-a/rest/api/1.0/admin/license", LICENSE, 401, headers=headers)


async def test_fault_error_bodies_validate(estate: SimClient) -> None:
    sim, client = estate
    url = "/bb-a/rest/api/1.0/admin/license"
    sim.set_fault("bb-a", Fault("unauthorized", captcha=True))
    await check(client, url, LICENSE, 401, headers=ADMIN)
    for status in (429, 500):
        sim.set_fault("bb-a", Fault("status", status=status))
        resp = await client.get(url, headers=ADMIN)
        validate(await resp.json(), response_schema(LICENSE, 401)[1])


async def test_not_found_body_validates(estate: SimClient) -> None:
    _, client = estate
    await check(client, "/bb-a/rest/api/1.0/admin/nothing", LICENSE, 404, headers=ADMIN)


async def test_application_properties_validate(estate: SimClient) -> None:
    _, client = estate
    for version in ("1.0", "latest"):
        url = f"/bb-a/rest/api/{version}/application-properties"
        await check(client, url, PROPERTIES, 200)


async def test_schema_has_teeth(estate: SimClient) -> None:
    sim, client = estate
    sim.set_fault("bb-a", Fault("wrong_shape", variant="strings"))
    body = await (await client.get("/bb-a/rest/api/1.0/admin/license", headers=ADMIN)).json()
    assert not validator(response_schema(LICENSE, 200)[1]).is_valid(body)
    sim.set_fault("bb-a", Fault("wrong_shape", variant="huge_numbers"))
    body = await (await client.get("/bb-a/rest/api/1.0/admin/license", headers=ADMIN)).json()
    # 10**30 overflows the int32/int64 formats.
    assert not validator(response_schema(LICENSE, 200)[1]).is_valid(body)


def test_vendor_example_fixture_is_the_spec_example() -> None:
    example = spec()["components"]["schemas"]["RestBitbucketLicense"]["example"]
    fixture = json.loads(FIXTURE.read_text())
    assert fixture == example
    assert list(fixture) == list(example)
    validate(fixture, response_schema(LICENSE, 200)[1])


async def test_simulator_license_has_every_vendor_field(estate: SimClient) -> None:
    _, client = estate
    body = await (await client.get("/bb-a/rest/api/1.0/admin/license", headers=ADMIN)).json()
    schema = spec()["components"]["schemas"]["RestBitbucketLicense"]
    assert set(body) == set(schema["properties"])
    assert set(body["status"]) == set(
        spec()["components"]["schemas"]["RestBitbucketLicense_status"]["properties"]
    )


USERS = "/api/latest/users"
ADMIN_USERS = "/api/latest/admin/users"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "bitbucket"


def user_schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec()["components"]["schemas"][name]
    return schema


@pytest.fixture
async def bb_users(make_client: MakeClient) -> SimClient:
    inst = bitbucket_instance()
    inst.products[0].users = SimUsers(230, seed=11, epoch=T0)
    return await make_client([inst])


async def test_admin_users_pages_validate(bb_users: SimClient) -> None:
    _, client = bb_users
    for start in (0, 100, 200):
        url = f"/bb-a/rest/api/1.0/admin/users?start={start}&limit=100"
        body = await check(client, url, ADMIN_USERS, 200, headers=ADMIN)
        assert body["values"] and (body["isLastPage"] is (start == 200))


async def test_licensed_user_pages_validate(bb_users: SimClient) -> None:
    _, client = bb_users
    url = "/bb-a/rest/api/1.0/users?permission=LICENSED_USER&limit=50"
    # The vendor document declares a single RestApplicationUser as this endpoint's 200 body, not
    # the paged envelope every Bitbucket list returns; the page validates against it (it has no
    # conflicting property), and so must every user in it.
    body = await check(client, url, USERS, 200, headers=ADMIN)
    page_schema = response_schema(ADMIN_USERS, 200)[1]
    envelope = {**body, "values": []}
    validate(envelope, page_schema)
    for user in body["values"]:
        validate(user, {"$ref": "#/components/schemas/RestApplicationUser"})


@pytest.mark.parametrize("name", ["admin_users_0", "admin_users_3", "admin_users_6"])
def test_admin_user_fixtures_validate(name: str) -> None:
    validate(
        json.loads((FIXTURES / f"{name}.json").read_text()), response_schema(ADMIN_USERS, 200)[1]
    )


@pytest.mark.parametrize("name", ["users_licensed_0", "users_licensed_2", "users_licensed_4"])
def test_licensed_user_fixtures_validate(name: str) -> None:
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    validate({**body, "values": []}, response_schema(ADMIN_USERS, 200)[1])
    for user in body["values"]:
        validate(user, {"$ref": "#/components/schemas/RestApplicationUser"})


def test_user_schemas_have_teeth() -> None:
    bad = {"name": "x", "type": "ROBOT", "lastAuthenticationTimestamp": "yesterday"}
    assert not validator({"$ref": "#/components/schemas/RestDetailedUser"}).is_valid(bad)
    assert user_schema("RestDetailedUser")["properties"]["type"]["enum"] == ["NORMAL", "SERVICE"]
