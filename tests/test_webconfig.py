from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest
import yaml
from pydantic import SecretStr

from exporter.config.load import ConfigError
from exporter.config.webconfig import BasicAuth, load_web_config
from tests import certs

HASH = bcrypt.hashpw(b"hunter2", bcrypt.gensalt(rounds=4)).decode()


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_basic_auth_checks_bcrypt_and_caches_success() -> None:
    auth = BasicAuth({"prometheus": SecretStr(HASH)})
    assert await auth.check(header("prometheus", "hunter2"))
    assert len(auth._verified) == 1
    assert await auth.check(header("prometheus", "hunter2"))
    assert not await auth.check(header("prometheus", "wrong"))
    assert not await auth.check(header("nobody", "hunter2"))
    assert not await auth.check(None)
    assert not await auth.check("Bearer x")
    assert not await auth.check("Basic !!!notbase64")
    assert len(auth._verified) == 1


@pytest.mark.integration
def test_web_config_loads_relative_paths(tmp_path: Path) -> None:
    cert, key = certs.self_signed(tmp_path)
    path = tmp_path / "web.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "tls_server_config": {"cert_file": cert.name, "key_file": key.name},
                "basic_auth_users": {"prometheus": HASH},
            }
        )
    )
    config = load_web_config(path)
    assert config.tls_server_config is not None
    assert config.tls_server_config.cert_file == cert
    assert "hunter2" not in repr(config) and HASH not in repr(config)


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (
            {"basic_auth_users": {"u": "plaintext"}},
            ["basic_auth_users.u: not a bcrypt hash (htpasswd -nBC 10)"],
        ),
        (
            {"tls_server_config": {"cert_file": "/nonexistent.pem"}},
            ["tls_server_config.key_file: missing required key"],
        ),
        (
            {"tls_server_config": {"cert_file": "/x.pem", "key_file": "/y.pem"}},
            [
                "tls_server_config: cannot load certificate or key: [Errno 2] No such file or directory"
            ],
        ),
        ({"http_server_config": {"http2": True}}, ["http_server_config: unknown key"]),
        (
            {
                "tls_server_config": {
                    "cert_file": "/x",
                    "key_file": "/y",
                    "client_auth_type": "RequireAndVerifyClientCert",
                }
            },
            [
                "tls_server_config: client_auth_type needs client_ca_file",
                "tls_server_config: cannot load certificate or key: [Errno 2] No such file or directory",
            ],
        ),
    ],
)
def test_invalid_web_configs(tmp_path: Path, data: object, problems: list[str]) -> None:
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as exc:
        load_web_config(path)
    assert exc.value.problems == problems
