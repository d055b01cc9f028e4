"""Authentication: admin by password or token, 403 for the viewer, 401 shapes per product."""

from __future__ import annotations

import pytest

from exporter.simulator import SimInstance
from tests.simulator.instances import (
    ADMIN,
    VIEWER,
    WRONG,
    MakeClient,
    SimClient,
    bitbucket_instance,
)

PATHS = {
    "jira": "/jira-a/rest/api/2/applicationrole",
    "confluence": "/conf-a/rest/license/1.0/license/userCount",
    "bitbucket": "/bb-a/rest/api/1.0/admin/license",
}
TOKENS = {"jira": "pat-jira", "confluence": "pat-conf", "bitbucket": "pat-bb"}
BB_WRONG = {
    "errors": [
        {
            "message": "Authentication failed. Please check your credentials and try again.",
            "exceptionName": "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException",
        }
    ]
}
BB_FORBIDDEN = {
    "errors": [
        {
            "message": "You are not permitted to access this resource",
            "exceptionName": "com.atlassian.bitbucket.AuthorisationException",
        }
    ]
}


@pytest.mark.parametrize("product", PATHS)
async def test_admin_password_and_token_get_in(estate: SimClient, product: str) -> None:
    _, client = estate
    assert (await client.get(PATHS[product], headers=ADMIN)).status == 200
    bearer = {"Authorization": f"Bearer {TOKENS[product]}"}
    assert (await client.get(PATHS[product], headers=bearer)).status == 200
    wrong_token = {"Authorization": "Bearer nope"}
    assert (await client.get(PATHS[product], headers=wrong_token)).status == 401


async def test_jira_and_confluence_wrong_password(estate: SimClient) -> None:
    _, client = estate
    for product in ("jira", "confluence"):
        resp = await client.get(PATHS[product], headers=WRONG)
        assert resp.status == 401
        assert resp.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
        assert resp.headers["Content-Type"] == "text/html;charset=UTF-8"
        assert "Basic Authentication Failure" in await resp.text()


async def test_jira_and_confluence_anonymous(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(PATHS["jira"])
    assert resp.status == 401
    assert "X-Seraph-LoginReason" in resp.headers
    assert await resp.json() == {
        "errorMessages": [
            "You are not authenticated. Authentication required to perform this operation."
        ],
        "errors": {},
    }
    resp = await client.get(PATHS["confluence"])
    assert resp.status == 401
    body = await resp.json()
    assert (body["statusCode"], body["reason"]) == (401, "Unauthorized")


async def test_viewer_is_forbidden_with_product_bodies(estate: SimClient) -> None:
    _, client = estate
    jira = await client.get(PATHS["jira"], headers=VIEWER)
    assert jira.status == 403
    assert await jira.json() == {
        "errorMessages": ["Only Jira administrators can access license details."],
        "errors": {},
    }
    confluence = await client.get(PATHS["confluence"], headers=VIEWER)
    assert confluence.status == 403
    body = await confluence.json()
    assert (body["statusCode"], body["reason"]) == (403, "Forbidden")
    assert isinstance(body["message"], str) and isinstance(body["data"], dict)
    bitbucket = await client.get(PATHS["bitbucket"], headers=VIEWER)
    assert bitbucket.status == 403
    assert await bitbucket.json() == BB_FORBIDDEN


async def test_bitbucket_401_bodies(estate: SimClient) -> None:
    _, client = estate
    resp = await client.get(PATHS["bitbucket"], headers=WRONG)
    assert resp.status == 401
    assert resp.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert "X-Seraph-LoginReason" not in resp.headers  # Bitbucket does not use Seraph
    assert await resp.json() == BB_WRONG
    anonymous = await client.get(PATHS["bitbucket"])
    assert anonymous.status == 401
    assert await anonymous.json() == BB_FORBIDDEN


async def test_older_bitbucket_answers_401_to_non_admins(make_client: MakeClient) -> None:
    inst = bitbucket_instance()
    inst.non_admin_status = 401
    _, client = await make_client([inst])
    assert (await client.get(PATHS["bitbucket"], headers=VIEWER)).status == 401


async def test_viewer_token_and_disabled_viewer(make_client: MakeClient) -> None:
    inst = bitbucket_instance()
    inst.viewer_token = "viewer-pat"
    other = SimInstance("bb-b", "bitbucket", inst.products, viewer_username=None)
    _, client = await make_client([inst, other])
    resp = await client.get(PATHS["bitbucket"], headers={"Authorization": "Bearer viewer-pat"})
    assert resp.status == 403
    resp = await client.get("/bb-b/rest/api/1.0/admin/license", headers=VIEWER)
    assert resp.status == 401


@pytest.mark.parametrize(
    "header", ["Basic !!!", "Basic " + "YWRtaW4=", "Digest abc", "Bearer", "Basic //79"]
)
async def test_garbled_authorization_is_401(estate: SimClient, header: str) -> None:
    _, client = estate
    resp = await client.get(PATHS["jira"], headers={"Authorization": header})
    assert resp.status == 401


async def test_anonymous_endpoints_ignore_credentials(estate: SimClient) -> None:
    _, client = estate
    for path in ("/jira-a/status", "/jira-a/rest/api/2/serverInfo", "/conf-a/status",
                 "/bb-a/status", "/bb-a/rest/api/1.0/application-properties"):  # fmt: skip
        assert (await client.get(path)).status == 200
        assert (await client.get(path, headers=WRONG)).status == 200
