"""Jira Cloud responses and fixtures validate against the vendor's Jira Cloud OpenAPI subset."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

from exporter.simulator import demo_instances
from tests.simulator.instances import CLOUD_TOKEN as TOKEN
from tests.simulator.instances import T0, MakeClient, SimClient, cloud_instance

VENDOR = Path(__file__).parents[1] / "vendor"
SPEC_FILE = VENDOR / "jira-cloud-platform-openapi-subset.yaml"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "jira-cloud"
ROLES, ROLE = "/rest/api/3/applicationrole", "/rest/api/3/applicationrole/{key}"
LICENSE, SERVER_INFO = "/rest/api/3/instance/license", "/rest/api/3/serverInfo"


@cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text())
    return data


def schema(path: str) -> dict[str, Any]:
    content = spec()["paths"][path]["get"]["responses"]["200"]["content"]
    result: dict[str, Any] = content["application/json"]["schema"]
    return result


def validator(path: str) -> OAS30ReadValidator:
    root = {**schema(path), "components": spec()["components"]}
    return OAS30ReadValidator(root, format_checker=oas30_format_checker)


@pytest.fixture
async def site(make_client: MakeClient) -> SimClient:
    demo = [i for i in demo_instances(now=T0) if i.type == "jira-cloud"]
    return await make_client([cloud_instance(), *demo])


@pytest.mark.parametrize("site_name", ["site", "jira-cloud"])
async def test_simulator_responses_validate(site: SimClient, site_name: str) -> None:
    _, client = site
    headers = TOKEN if site_name == "site" else _demo_login()
    for url, path in [
        (ROLES, ROLES),
        (f"{ROLES}/jira-software", ROLE),
        (LICENSE, LICENSE),
        (SERVER_INFO, SERVER_INFO),
    ]:
        resp = await client.get(f"/{site_name}{url}", headers=headers)
        assert resp.status == 200, url
        validator(path).validate(await resp.json())


def _demo_login() -> dict[str, str]:
    import base64

    token = base64.b64encode(b"admin@example.com:demo-api-token").decode()
    return {"Authorization": f"Basic {token}"}


async def test_approximate_count_has_the_documented_shape(site: SimClient) -> None:
    # Not in the 2022 vendor snapshot: the reference gives {key, value} with value a string.
    _, client = site
    url = "/site/rest/api/3/license/approximateLicenseCount/product/jira-software"
    body = await (await client.get(url, headers=TOKEN)).json()
    assert set(body) == {"key", "value"} and isinstance(body["value"], str)
    assert body["value"].isdigit()


@pytest.mark.parametrize(
    ("name", "path"), [("applicationrole", ROLES), ("instance_license", LICENSE)]
)
def test_fixtures_validate(name: str, path: str) -> None:
    validator(path).validate(json.loads((FIXTURES / f"{name}.json").read_text()))


def test_fixtures_are_the_vendor_examples_plus_product_discovery() -> None:
    roles = json.loads((FIXTURES / "applicationrole.json").read_text())
    example = json.loads(spec()["paths"][ROLES]["get"]["responses"]["200"]["content"][
        "application/json"]["example"])  # fmt: skip
    assert roles[:2] == example and roles[2]["key"] == "jira-product-discovery"
    license_example = json.loads(spec()["paths"][LICENSE]["get"]["responses"]["200"]["content"][
        "application/json"]["example"])  # fmt: skip
    assert json.loads((FIXTURES / "instance_license.json").read_text()) == license_example


def test_schema_has_teeth() -> None:
    # additionalProperties: false, and the plan enum.
    assert not validator(LICENSE).is_valid({"applications": [{"id": "x", "plan": "GOLD"}]})
    role = json.loads((FIXTURES / "applicationrole.json").read_text())[0]
    assert not validator(ROLE).is_valid({**role, "self": "https://example"})
