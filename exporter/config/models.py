"""The configuration schema shared by every application type: links, global settings and the
base of each type's application model (the types themselves are in exporter.apptypes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import model_validator as _model_validator

from exporter.config.durations import ByteSize, Duration
from exporter.config.users import DEFAULT_INACTIVE_PERIODS, Periods, UserDetail

NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuth(Model):
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_file: Path | None = None

    @_model_validator(mode="after")
    def _one_password(self) -> BasicAuth:
        if self.password is not None and self.password_file is not None:
            raise ValueError("at most one of password and password_file may be set")
        return self


class Authorization(Model):
    type: str = Field(default="Bearer", pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    credentials: SecretStr | None = None
    credentials_file: Path | None = None

    @_model_validator(mode="after")
    def _one_credential(self) -> Authorization:
        if (self.credentials is None) == (self.credentials_file is None):
            raise ValueError("exactly one of credentials and credentials_file must be set")
        if self.type.lower() == "basic":
            raise ValueError("type Basic is not allowed here: use basic_auth")
        return self


class TLSConfig(Model):
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    server_name: str | None = None
    insecure_skip_verify: bool = False

    @_model_validator(mode="after")
    def _cert_and_key(self) -> TLSConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be set together")
        return self


class Link(Model):
    """How to reach one application: Prometheus' http client config, minus what we don't need."""

    url: str
    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    tls_config: TLSConfig = TLSConfig()
    timeout: Duration | None = None
    # Prometheus' proxy keys, with its rules (prometheus/common config.ProxyConfig.Validate).
    # proxy_url is a secret: its userinfo is the proxy's basic auth.
    proxy_url: SecretStr | None = None
    no_proxy: str | None = None
    proxy_from_environment: bool = False
    proxy_connect_header: dict[str, list[SecretStr]] | None = None

    def __hash__(self) -> int:
        # proxy_connect_header is a dict, which would make Link (and Application) unhashable;
        # the dump masks secrets, so links differing only in a secret merely share a hash.
        return hash(self.model_dump_json())

    @field_validator("proxy_url")
    @classmethod
    def _check_proxy_url(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value():
            return None  # empty means unset, as in Prometheus
        problem = proxy_url_problem(url.get_secret_value())
        if problem:
            raise ValueError(problem)
        return url

    @field_validator("proxy_connect_header")
    @classmethod
    def _check_header_names(
        cls, headers: dict[str, list[SecretStr]] | None
    ) -> dict[str, list[SecretStr]] | None:
        for name in headers or {}:
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
                raise ValueError(f"{name!r} is not an HTTP header name")
        return headers

    @_model_validator(mode="after")
    def _proxy_keys(self) -> Link:
        if self.proxy_from_environment and self.proxy_url is not None:
            raise ValueError("proxy_url and proxy_from_environment exclude each other")
        if self.proxy_from_environment and self.no_proxy:
            raise ValueError("no_proxy needs proxy_url; with proxy_from_environment use NO_PROXY")
        if self.no_proxy and self.proxy_url is None:
            raise ValueError("no_proxy needs proxy_url")
        if self.proxy_connect_header and not (self.proxy_url or self.proxy_from_environment):
            raise ValueError("proxy_connect_header needs proxy_url or proxy_from_environment")
        return self

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        # Messages never quote the URL: its userinfo, query or fragment can hold a secret, and
        # they are shown by --config.check, the reload log, the status page and /-/reload.
        if any(c.isspace() or not c.isprintable() for c in url):
            raise ValueError("the URL contains whitespace or control characters")
        try:
            parts = urlsplit(url)
        except ValueError:
            raise ValueError("the URL cannot be parsed (is its host valid?)") from None
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("the URL has an invalid port: a number 0-65535") from None
        if "@" in parts.netloc:
            raise ValueError("the URL has userinfo: credentials go in basic_auth")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the URL is not an http(s) URL with a host")
        # `?` or `#` alone leaves query and fragment empty: refuse the characters.
        if "?" in url or "#" in url:
            raise ValueError("the URL has a query or fragment: a base URL has neither")
        return url.rstrip("/")

    @_model_validator(mode="after")
    def _one_auth(self) -> Link:
        if self.basic_auth is not None and self.authorization is not None:
            raise ValueError("at most one of basic_auth and authorization may be set")
        return self


def public_url(url: str) -> str:
    """`url` without its userinfo: what may be logged or shown of a proxy URL."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


def proxy_url_problem(url: str) -> str | None:
    """What is wrong with a proxy URL, in words that never repeat its password."""
    parts = urlsplit(url)
    shown = repr(public_url(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Prometheus also takes socks5, which httpx only has with an extra package.
        return f"{shown} is not an http(s) proxy URL with a host"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"{shown}: the port is not a number from 0 to 65535"
    return None


class UserScans(Model):
    """Whether user scans run: they read every licensed user and need more privileges than
    seat counts, so a user who wants seats only switches them off."""

    enabled: bool = True


class Global(Model):
    sync_interval: Duration = 300.0
    timeout: Duration = 30.0
    # strict: YAML's `true` or "16" is a mistake, not 1 or 16.
    max_concurrent_syncs: int = Field(default=16, ge=1, le=1024, strict=True)
    body_size_limit: ByteSize = 10 * 2**20
    users_sync_interval: Duration = 3600.0
    inactive_periods: Periods = DEFAULT_INACTIVE_PERIODS
    user_detail: UserDetail | None = None  # off unless configured
    user_scans: UserScans = UserScans()


class ApplicationBase(Model):
    """What every application has, whatever its type; each type's model extends it."""

    name: str = Field(pattern=NAME_PATTERN)
    type: str
    sync_interval: Duration | None = None
    link: Link


class ScannedApplicationBase(ApplicationBase):
    """An application type with user scans: overrides of the global user-scan settings."""

    users_sync_interval: Duration | None = None
    inactive_periods: Periods | None = None
    user_detail: UserDetail | None = None
    user_scans: UserScans | None = None


# The keys only types with user scans accept; a type without them reports each as such.
USER_SCAN_KEYS: Final = tuple(
    key for key in ScannedApplicationBase.model_fields if key not in ApplicationBase.model_fields
)
