"""The exporter's own endpoint: TLS and basic auth from a web config file in the format of
Prometheus' exporter-toolkit (`--web.config.file`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import ssl
from pathlib import Path
from typing import Literal

import bcrypt
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import Field, SecretStr, ValidationError

from exporter.config.files import read_file
from exporter.config.load import ConfigError, validation_problems
from exporter.config.models import Model
from exporter.config.yamlsafe import YAMLProblem, load_yaml

# Modular crypt format of bcrypt: $2b$<cost>$<22 characters of salt><31 of hash>.
_BCRYPT = re.compile(r"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")
# bcrypt reads only the first 72 bytes of a password, and the bcrypt package refuses longer.
BCRYPT_MAX_PASSWORD = 72
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
        data = load_yaml(read_file(path).decode("utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"(file): cannot read: {exc}"]) from None
    except YAMLProblem as exc:
        raise ConfigError(str(path), [str(exc)]) from None
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
        # A malformed hash would make every login of that user fail with an error, not a 401.
        if not _BCRYPT.match(hashed.get_secret_value()):
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
        # Unknown users are checked against a dummy hash of the same cost as the users' hashes,
        # so that the time of a refusal does not tell whether the user exists.
        costs = [int(h[4:6]) for h in self._users.values() if _BCRYPT.match(h.decode())]
        self._dummy = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds=max(costs, default=10)))

    async def check(self, header: str | None) -> bool:
        scheme, _, encoded = (header or "").strip().partition(" ")
        if scheme.lower() != "basic":  # auth schemes are case-insensitive (RFC 9110 11.1)
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, password = decoded.partition(":")
        key = hashlib.sha256(f"{user}\0{password}".encode()).digest()
        if key in self._verified:
            return True
        hashed = self._users.get(user)
        secret = password.encode()
        # bcrypt refuses longer passwords with an error; such a password is simply wrong, and
        # checked against the dummy so that it takes the time of any other refusal.
        too_long = len(secret) > BCRYPT_MAX_PASSWORD
        against = self._dummy if hashed is None or too_long else hashed
        ok = await asyncio.to_thread(bcrypt.checkpw, secret[:BCRYPT_MAX_PASSWORD], against)
        if ok and hashed is not None and not too_long:
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
