"""Loading the configuration: YAML to the pydantic schema, with one clear error type.

Every problem is reported at once, as `location: message` lines: the schema's own (the models in
exporter.config.models and each type's model in exporter.apptypes, joined by a discriminated
union on `type`), readable files, and the rules between resolved values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag, ValidationError

from exporter.apptypes import APPS_TYPES, SCANNED_TYPES, TYPES
from exporter.config.compact import compact_models
from exporter.config.files import read_file
from exporter.config.models import APPS_KEYS, USER_SCAN_KEYS, ApplicationBase, Global, Model
from exporter.config.targets import interval_of, timeout_of
from exporter.config.yamlsafe import YAMLProblem, load_yaml


class ConfigError(Exception):
    """Every problem of a configuration, one `location: message` line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(
            f"{source}: invalid configuration:\n"
            + "\n".join(f"  {problem}" for problem in problems)
        )


# The tag of an entry whose `type` is missing or unknown: validated against the keys every type
# has, so that its other problems are reported with the unknown type.
_UNKNOWN: Final = "(unknown type)"


class _UnknownApplication(ApplicationBase):
    model_config = ConfigDict(extra="ignore", frozen=True)  # its keys may be the meant type's
    type: Literal[tuple(TYPES)]  # type: ignore[valid-type]  # always fails: lists the types


def _tag(data: Any) -> str:
    kind = data.get("type") if isinstance(data, dict) else getattr(data, "type", None)
    return kind if isinstance(kind, str) and kind in TYPES else _UNKNOWN


if TYPE_CHECKING:
    Application = ApplicationBase
else:
    Application = Annotated[
        Union[
            (
                *(Annotated[entry.model, Tag(name)] for name, entry in TYPES.items()),
                Annotated[_UnknownApplication, Tag(_UNKNOWN)],
            )
        ],
        Discriminator(_tag),
    ]


class Config(Model):
    global_: Global = Field(default=Global(), alias="global")
    applications: list[Application] = Field(default=[])


# Pydantic's wording is written for programmers; these read better in an SRE's terminal.
_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "missing required key",
    "int_type": "must be an integer",
}


def _type_tag(loc: tuple[int | str, ...]) -> str | None:
    """The application type an error of an `applications[i]` entry was checked as."""
    if len(loc) > 2 and loc[0] == "applications" and isinstance(loc[1], int):
        tag = loc[2]
        return tag if isinstance(tag, str) and (tag in TYPES or tag == _UNKNOWN) else None
    return None


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    tagged = _type_tag(loc) is not None
    for index, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif not (part.startswith(("function-", "literal[")) or (tagged and index == 2)):
            out += f".{part}" if out else part
    return out or "(top level)"


def _type_specific(kind: str, tag: str | None, key: str) -> str | None:
    """The message for a key the entry's type does not have, or lacks, when another type does."""
    if tag is None or tag == _UNKNOWN:
        return None
    if kind == "missing":
        description = TYPES[tag].model.model_fields[key].description
        return f"required for type {tag} ({description})" if description else None
    if kind != "extra_forbidden":
        return None
    if key in USER_SCAN_KEYS:
        return f"type {tag} has no user scan (only {', '.join(SCANNED_TYPES)} do)"
    if key in APPS_KEYS:
        return f"type {tag} has no Marketplace apps (only {', '.join(APPS_TYPES)} do)"
    owners = [name for name, entry in TYPES.items() if key in entry.model.model_fields]
    return f"only allowed for type {', '.join(owners)}" if owners else None


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    loc = error["loc"]
    specific = _type_specific(kind, _type_tag(loc), str(loc[-1])) if len(loc) == 4 else None
    if specific is not None:
        return specific
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
    # The two settings alone, not a resolve of every target: the caller resolves them next.
    for index, app in enumerate(config.applications):
        timeout, interval = timeout_of(config, app), interval_of(config, app)
        if timeout > interval:
            problems.append(
                f"applications[{index}]: timeout ({timeout:g}s) must not exceed "
                f"sync_interval ({interval:g}s)"
            )
    return problems


def _resolve_paths(data: Any, base: Path) -> Any:
    """Relative *_file paths are relative to the config file, as in Prometheus. What holds
    nothing to resolve is returned as it is, not copied: a configuration of 10,000
    applications names few files, and a copy of it all is 6 MiB that the allocator keeps."""
    if isinstance(data, dict):
        changed = {}
        for key, value in data.items():
            new = _resolved(key, value, base)
            if new is not value:
                changed[key] = new
        return {**data, **changed} if changed else data
    if isinstance(data, list):
        items = [_resolve_paths(item, base) for item in data]
        return items if any(new is not old for new, old in zip(items, data, strict=True)) else data
    return data


def _resolved(key: Any, value: Any, base: Path) -> Any:
    if (
        isinstance(key, str)
        and key.endswith("_file")
        and isinstance(value, str)
        and value
        and not Path(value).is_absolute()
    ):
        return str(base / value)
    return _resolve_paths(value, base)


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
    problems = _duplicate_names(data)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems += validation_problems(exc)
        raise ConfigError(source, sorted(problems, key=_order)) from None
    problems += _check_files(config)
    if problems:
        raise ConfigError(source, problems)
    compact_models(list(config.applications))
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
