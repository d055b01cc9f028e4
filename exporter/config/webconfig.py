"""The exporter's own endpoint: TLS and basic auth from a web config file in the format of
Prometheus' exporter-toolkit (`--web.config.file`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ssl
from pathlib import Path
from typing import Literal

import bcrypt
import yaml
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import Field, SecretStr, ValidationError

from exporter.config.load import ConfigError, validation_problems
from exporter.config.models import Model

_TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}


class TLSServerConfig(Model):
    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None
    client_auth_type: Literal["NoClientCert", "RequireAndVerifyClientCert"] = "NoClientCert"
    min_version: Literal["TLS12", "TLS13"] = "TLS12"


class WebConfig(Model):
    tls_server_config: TLSServerConfig | None = None
    basic_auth_users: dict[str, SecretStr] = Field(default_factory=dict)


def load_web_config(path: Path) -> WebConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), [f"(file): cannot read: {exc}"]) from None
    base = path.parent
    if isinstance(data, dict) and isinstance(data.get("tls_server_config"), dict):
        tls = data["tls_server_config"]
        for key in ("cert_file", "key_file", "client_ca_file"):
            if isinstance(tls.get(key), str) and not Path(tls[key]).is_absolute():
                tls[key] = str(base / tls[key])
    try:
        config = WebConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(str(path), validation_problems(exc)) from None
    problems = []
    for user, hashed in config.basic_auth_users.items():
        if not hashed.get_secret_value().startswith(("$2a$", "$2b$", "$2y$")):
            problems.append(f"basic_auth_users.{user}: not a bcrypt hash (htpasswd -nBC 10)")
    tls = config.tls_server_config
    if tls is not None:
        if tls.client_auth_type != "NoClientCert" and tls.client_ca_file is None:
            problems.append("tls_server_config: client_auth_type needs client_ca_file")
        try:
            server_ssl_context(tls)
        except (OSError, ssl.SSLError) as exc:
            problems.append(f"tls_server_config: cannot load certificate or key: {exc}")
    if problems:
        raise ConfigError(str(path), problems)
    return config


def server_ssl_context(tls: TLSServerConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = _TLS_VERSIONS[tls.min_version]
    context.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.client_ca_file is not None:
        context.load_verify_locations(tls.client_ca_file)
    if tls.client_auth_type == "RequireAndVerifyClientCert":
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class BasicAuth:
    """Checks basic auth against bcrypt hashes. bcrypt is slow on purpose (~50-250 ms), so it
    runs in a thread, and a successful check is cached by a digest of the credentials, as
    exporter-toolkit does, so Prometheus' scrapes cost one dictionary lookup."""

    def __init__(self, users: dict[str, SecretStr]) -> None:
        self._users = {user: h.get_secret_value().encode() for user, h in users.items()}
        self._verified: set[bytes] = set()
        # Unknown users are checked against a dummy hash so timing does not reveal them.
        self._dummy = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds=4))

    async def check(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        key = hashlib.sha256(f"{user}\0{password}".encode()).digest()
        if key in self._verified:
            return True
        hashed = self._users.get(user)
        ok = await asyncio.to_thread(bcrypt.checkpw, password.encode(), hashed or self._dummy)
        if ok and hashed is not None:
            if len(self._verified) > 1000:  # bound the cache; it refills on the next scrapes
                self._verified.clear()
            self._verified.add(key)
            return True
        return False

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if await self.check(request.headers.get("Authorization")):
            return await handler(request)
        return web.Response(
            status=401,
            text="Unauthorized\n",
            headers={"WWW-Authenticate": 'Basic realm="atlassian-license-exporter"'},
        )
