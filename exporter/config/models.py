"""The configuration schema shared by every application type: links, global settings and the
base of each type's application model (the types themselves are in exporter.apptypes)."""

from __future__ import annotations

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

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL with a host")
        if parts.username is not None or parts.password is not None:
            # Credentials in a URL end up in logs and on the status page.
            raise ValueError("credentials in the URL are not allowed: use basic_auth")
        if parts.query or parts.fragment:
            raise ValueError(f"{url!r}: a base URL has no query or fragment")
        try:
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise ValueError(f"{url!r}: {exc}") from None
        return url.rstrip("/")

    @_model_validator(mode="after")
    def _one_auth(self) -> Link:
        if self.basic_auth is not None and self.authorization is not None:
            raise ValueError("at most one of basic_auth and authorization may be set")
        return self


class UserScans(Model):
    """Whether user scans run: they read every licensed user and need more privileges than
    seat counts, so a user who wants seats only switches them off."""

    enabled: bool = True


class Global(Model):
    sync_interval: Duration = 300.0
    timeout: Duration = 30.0
    max_concurrent_syncs: int = Field(default=16, ge=1, le=1024)
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
