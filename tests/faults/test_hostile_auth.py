"""Hostile basic auth against the exporter's own endpoint: a clean 401 or a startup error, never
a 500; the time of a refusal does not tell whether the user exists."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import bcrypt
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from exporter.config.load import ConfigError
from exporter.config.webconfig import WebConfig, load_web_config
from exporter.serve.web import make_app
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import app_dict, make_targets

COST = 5  # not the dummy's old cost (4), and still fast
HASH = bcrypt.hashpw(b"hunter2", bcrypt.gensalt(rounds=COST)).decode()


def basic(user: str, password: str, scheme: str = "Basic") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"{scheme} {token}"}


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    poller = Poller(make_targets(app_dict("jira-prod")))
    web_config = WebConfig(basic_auth_users={"prometheus": SecretStr(HASH)})
    app = make_app(Runtime(poller, None), CollectorRegistry(auto_describe=False), web_config)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()
    await poller.close()


async def test_a_password_longer_than_bcrypt_reads_is_a_401(client: TestClient) -> None:  # type: ignore[type-arg]
    for password in ("x" * 73, "hunter2" + "x" * 100, "é" * 40):
        response = await client.get("/metrics", headers=basic("prometheus", password))
        assert response.status == 401
    assert (await client.get("/metrics", headers=basic("prometheus", "hunter2"))).status == 200


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
async def test_the_basic_scheme_is_case_insensitive(client: TestClient, scheme: str) -> None:  # type: ignore[type-arg]
    response = await client.get("/-/healthy", headers=basic("prometheus", "hunter2", scheme))
    assert response.status == 200


async def test_unknown_users_cost_what_known_users_cost(
    client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    costs: list[int] = []
    checkpw = bcrypt.checkpw

    def recording(password: bytes, hashed: bytes) -> bool:
        costs.append(int(hashed[4:6]))
        return checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", recording)
    for user, password in [("prometheus", "wrong"), ("nobody", "wrong"), ("x", "y" * 80)]:
        assert (await client.get("/-/healthy", headers=basic(user, password))).status == 401
    assert costs == [COST, COST, COST]


@pytest.mark.parametrize(
    "hashed",
    [
        "$2b$10$tooshort",
        "$2y$99$" + "a" * 53,
        "$2a$10$" + "!" * 53,
        HASH + "x",
    ],
)
def test_an_invalid_bcrypt_hash_is_a_startup_error(tmp_path: Path, hashed: str) -> None:
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump({"basic_auth_users": {"prometheus": hashed}}))
    with pytest.raises(ConfigError) as exc:
        load_web_config(path)
    assert exc.value.problems == [
        "basic_auth_users.prometheus: not a bcrypt hash (htpasswd -nBC 10)"
    ]
    assert hashed not in str(exc.value)
