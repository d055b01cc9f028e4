"""Bitbucket responses validate against the vendor's OpenAPI subset for Bitbucket DC 9.6."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

from exporter.simulator import Fault

from .conftest import ADMIN, VIEWER, WRONG, MakeClient, SimClient, bitbucket_instance

VENDOR = Path(__file__).parents[2] / ".." / "shared" / "reference" / "vendor"
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
