"""Configuration: pydantic models for the YAML file and a loader with one clear error type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from exporter.config.durations import ByteSize, Duration
from exporter.config.files import read_file
from exporter.config.users import DEFAULT_INACTIVE_PERIODS, Periods, UserDetail, type_problems
from exporter.config.yamlsafe import YAMLProblem, load_yaml

APPLICATION_TYPES = ("jira", "confluence", "bitbucket", "crowd", "jira-cloud")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


class ConfigError(Exception):
    """Every problem of a configuration, one `location: message` line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            f"{source}: invalid configuration:\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )


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


class Global(Model):
    sync_interval: Duration = 300.0
    timeout: Duration = 30.0
    # strict: YAML's `true` or "16" is a mistake, not 1 or 16.
    max_concurrent_syncs: int = Field(default=16, ge=1, le=1024, strict=True)
    body_size_limit: ByteSize = 10 * 2**20
    users_sync_interval: Duration = 3600.0
    inactive_periods: Periods = DEFAULT_INACTIVE_PERIODS
    user_detail: UserDetail | None = None  # off unless configured


class Application(Model):
    name: str = Field(pattern=NAME_PATTERN)
    type: Literal["jira", "confluence", "bitbucket", "crowd", "jira-cloud"]
    sync_interval: Duration | None = None
    link: Link
    # type crowd only (checked in userconfig.type_problems): which application Crowd reports on.
    crowd_application_id: int | None = Field(default=None, ge=1, strict=True)
    crowd_application_type: Literal["jira", "confluence", "bitbucket"] | None = None
    # Overrides of the global user-scan settings (types with user scans only).
    users_sync_interval: Duration | None = None
    inactive_periods: Periods | None = None
    user_detail: UserDetail | None = None


class Config(Model):
    global_: Global = Field(default=Global(), alias="global")
    applications: list[Application] = Field(default=[])

    def interval(self, app: Application) -> float:
        return app.sync_interval or self.global_.sync_interval

    def timeout(self, app: Application) -> float:
        return app.link.timeout or self.global_.timeout

    def users_interval(self, app: Application) -> float:
        return app.users_sync_interval or self.global_.users_sync_interval

    def inactive_periods(self, app: Application) -> tuple[str, ...]:
        return app.inactive_periods or self.global_.inactive_periods

    def user_detail(self, app: Application) -> UserDetail | None:
        detail = app.user_detail or self.global_.user_detail
        return detail if detail is not None and detail.max_users > 0 else None


# Pydantic's wording is written for programmers; these read better in an SRE's terminal.
_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
    "int_type": "must be an integer",
}


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part.startswith(("function-", "literal[")):
            out += f".{part}" if out else part
    return out or "(top level)"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "name":
        return "must start with a letter or digit and hold only letters, digits, '_', '.', '-'"
    if kind == "list_type" and error["loc"] == ("applications",):
        return "must be a list of applications"
    if kind == "model_type":
        return "must be a mapping of keys"
    if kind == "literal_error":
        # pydantic says "'jira', 'confluence' or 'bitbucket'"; list them plainly.
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        return "must be one of: " + ", ".join(expected)
    message = _MESSAGES.get(kind)
    if message is None:
        message = str(error["msg"]).removeprefix("Value error, ")
    return message


def validation_problems(exc: ValidationError) -> list[str]:
    """pydantic's errors as `location: message` lines."""
    return [f"{_location(e['loc'])}: {_message(e)}" for e in exc.errors()]


def _check_files(config: Config) -> list[str]:
    """Files named by the config must be readable now, not at the first sync an hour later."""
    problems = []
    for index, app in enumerate(config.applications):
        link = app.link
        named: list[tuple[str, Path | None]] = [
            (
                "basic_auth.password_file",
                link.basic_auth.password_file if link.basic_auth else None,
            ),
            (
                "authorization.credentials_file",
                link.authorization.credentials_file if link.authorization else None,
            ),
            ("tls_config.ca_file", link.tls_config.ca_file),
            ("tls_config.cert_file", link.tls_config.cert_file),
            ("tls_config.key_file", link.tls_config.key_file),
        ]
        for key, path in named:
            if path is None:
                continue
            try:
                read_file(path)
            except OSError as exc:
                problems.append(
                    f"applications[{index}].link.{key}: cannot read {str(path)!r}: "
                    f"{exc.strerror or exc}"
                )
        timeout, interval = config.timeout(app), config.interval(app)
        if timeout > interval:
            problems.append(
                f"applications[{index}]: timeout ({timeout:g}s) must not exceed "
                f"sync_interval ({interval:g}s)"
            )
    return problems


def _resolve_paths(data: Any, base: Path) -> Any:
    """Relative *_file paths are relative to the config file, as in Prometheus."""
    if isinstance(data, dict):
        return {
            key: (
                str(base / value)
                if isinstance(key, str)
                and key.endswith("_file")
                and isinstance(value, str)
                and value
                and not Path(value).is_absolute()
                else _resolve_paths(value, base)
            )
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [_resolve_paths(item, base) for item in data]
    return data


def _duplicate_names(data: dict[str, Any]) -> list[str]:
    """Checked on the raw data so that it is reported together with every other problem."""
    apps = data.get("applications")
    first: dict[str, int] = {}
    problems = []
    for index, app in enumerate(apps if isinstance(apps, list) else []):
        name = app.get("name") if isinstance(app, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            problems.append(
                f"applications[{index}].name: duplicate application name {name!r} "
                f"(first used by applications[{first[name]}])"
            )
        first.setdefault(name, index)
    return problems


def parse_config(data: Any, source: str = "config", base_dir: Path | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, ["(top level): must be a mapping with an applications list"])
    if base_dir is not None:
        data = _resolve_paths(data, base_dir)
    problems = _duplicate_names(data) + type_problems(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc)
        raise ConfigError(source, sorted(problems, key=_order)) from None
    problems += _check_files(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def _order(problem: str) -> list[Any]:
    # Report in file order: applications[10] after applications[9].
    return [int(p) if p.isdigit() else p for p in re.split(r"\[(\d+)\]", problem.split(": ")[0])]


def load_config(path: Path) -> Config:
    try:
        text = read_file(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"(file): cannot read: {exc}"]) from None
    try:
        data = load_yaml(text)
    except YAMLProblem as exc:
        raise ConfigError(str(path), [str(exc)]) from None
    return parse_config(data, str(path), path.parent)
