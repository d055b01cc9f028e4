"""Reference documentation generated from the code: the configuration keys from the pydantic
models, the metrics table from the metric contract. Run `python -m docs` to rewrite,
`python -m docs --check` (and tests/docs) to verify."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, Literal, get_args, get_origin, get_type_hints

import annotated_types
from pydantic import BaseModel, SecretStr, TypeAdapter
from pydantic.fields import FieldInfo

from exporter import metrics
from exporter.apptypes import TYPES
from exporter.cli import build_parser
from exporter.config import durations
from exporter.config import users as userconfig
from exporter.config.load import Config
from exporter.config.models import ApplicationBase

from .descriptions import DESCRIPTIONS

ROOT: Final = Path(__file__).resolve().parent.parent
CONFIGURATION: Final = ROOT / "docs" / "configuration.md"
README: Final = ROOT / "README.md"

# Annotated aliases with a user-facing name; compared by equality with the field's type hint.
NAMED_TYPES: Final[list[tuple[Any, str]]] = [
    (durations.Duration, "duration"),
    (durations.ByteSize, "size"),
    (userconfig.Period, "duration"),
    (userconfig.Periods, "list of durations"),
]


_COMMON: Final = frozenset(ApplicationBase.model_fields)


class Key(typing.NamedTuple):
    """One configuration key: where it is, what it takes, its default and what it does."""

    path: str
    type: str
    default: str
    description: str


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _model_of(hint: Any) -> type[BaseModel] | None:
    hint, _ = _strip_optional(hint)
    if get_origin(hint) is list:
        hint = get_args(hint)[0]
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


def _type_name(hint: Any) -> str:
    hint, _ = _strip_optional(hint)
    for alias, name in NAMED_TYPES:
        if hint == alias:
            return name
    if get_origin(hint) is typing.Annotated:
        return _type_name(get_args(hint)[0])
    if get_origin(hint) is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(hint))
    if get_origin(hint) is list:
        inner = get_args(hint)[0]
        if _model_of(inner) or get_origin(inner) is typing.Annotated:  # the type union
            return "list of applications"
        return f"list of {_type_name(inner)}"
    if _model_of(hint):
        return "mapping"
    names = {SecretStr: "secret", Path: "file path", bool: "boolean", int: "integer", str: "string"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _bounds(field: FieldInfo) -> str:
    low = next((m.ge for m in field.metadata if isinstance(m, annotated_types.Ge)), None)
    high = next((m.le for m in field.metadata if isinstance(m, annotated_types.Le)), None)
    if low is not None and high is not None:
        return f" ({low} to {high})"
    return f" (≥ {low})" if low is not None else ""


def _size(value: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if value % factor == 0:
            return f"{value // factor}{unit}"
    return f"{value}B"


def _default(hint: Any, field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None or isinstance(value, BaseModel) or value == []:
        return "none"
    if _strip_optional(hint)[0] == durations.ByteSize:
        return f"`{_size(value)}`"
    dumped = TypeAdapter(hint).dump_python(value, mode="json")
    if isinstance(dumped, list):
        return ", ".join(f"`{v}`" for v in dumped)
    if isinstance(dumped, bool):
        return f"`{str(dumped).lower()}`"
    return f"`{dumped}`"


def _fields(model: type[BaseModel]) -> Iterator[tuple[str, Any, FieldInfo]]:
    hints = get_type_hints(model, include_extras=True)
    for name, field in model.model_fields.items():
        yield name, hints[name], field


def _application_fields() -> Iterator[tuple[str, Any, FieldInfo]]:
    """The keys of every type's model (exporter.apptypes), each once, in registry order; `type`
    takes every registered name, and a key only some types require is marked so."""
    seen: dict[str, tuple[Any, FieldInfo]] = {}
    for entry in TYPES.values():
        for name, hint, field in _fields(entry.model):
            seen.setdefault(name, (hint, field))
    for name, (hint, field) in seen.items():
        if name == "type":
            hint = Literal[tuple(TYPES)]
        yield name, hint, field


def keys(model: type[BaseModel] = Config, prefix: str = "") -> Iterator[Key]:
    """Every key of the configuration file, depth first, in the models' field order."""
    fields = _application_fields() if prefix == "applications[]." else _fields(model)
    for name, hint, field in fields:
        key = field.alias or name
        path = f"{prefix}{key}"
        description = DESCRIPTIONS.get(path) or field.description or ""
        default = _default(hint, field)
        if default == "required" and prefix == "applications[]." and name not in _COMMON:
            default = "required for " + ", ".join(
                f"`{t}`" for t, e in TYPES.items() if name in e.model.model_fields
            )
        yield Key(path, _type_name(hint) + _bounds(field), default, description)
        nested = _model_of(hint)
        if nested is not None or name == "applications":
            is_list = get_origin(_strip_optional(hint)[0]) is list or name == "applications"
            yield from keys(nested or ApplicationBase, f"{path}[]." if is_list else f"{path}.")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def configuration_md() -> str:
    sections: dict[str, list[Key]] = {}
    for key in keys():
        section, _, _ = key.path.rpartition(".")
        sections.setdefault(section, []).append(key)
    out = [
        "# Configuration reference\n\n",
        "<!-- Generated by `python -m docs` from the models in exporter/; do not edit. -->\n\n",
        "Every key of the YAML file given with `--config.file`, section by section. Durations use ",
        "Prometheus syntax (`30s`, `5m`, `1h30m`, `1d`), sizes are bytes or `512KiB`, `10MiB`, ",
        "`1GiB`. Relative `*_file` paths are relative to the configuration file. Unknown keys are ",
        "errors, and `--config.check` reports every problem of a file at once. ",
        "[`config.example.yaml`](../config.example.yaml) shows a complete file.\n",
    ]
    for section, section_keys in sections.items():
        title = f"`{section}`" if section else "Top level"
        out += [
            f"\n## {title}\n\n",
            "| key | type | default | description |\n",
            "|---|---|---|---|\n",
        ]
        for key in section_keys:
            name = key.path.rpartition(".")[2]
            out.append(
                f"| `{name}` | {_cell(key.type)} | {_cell(key.default)} | "
                f"{_cell(key.description)} |\n"
            )
    return "".join(out)


def metrics_table() -> str:
    rows = [
        "| name | type | labels | help |\n",
        "|---|---|---|---|\n",
    ]
    for spec in metrics.ALL_METRICS:
        labels = ", ".join(f"`{label}`" for label in spec.labels) or "none"
        rows.append(f"| `{spec.name}` | {spec.type} | {labels} | {_cell(spec.help)} |\n")
    reasons = ", ".join(f"`{r}`" for r in metrics.REASONS)
    rows.append(f"\nValues of `{metrics.REASON}` in `{metrics.SYNC_FAILURES.name}`: {reasons}.\n")
    return "".join(rows)


def flags_table() -> str:
    rows = ["| flag | meaning |\n", "|---|---|\n"]
    for action in build_parser()._actions:
        if "--help" in action.option_strings:
            continue
        flag = ", ".join(f"`{option}`" for option in action.option_strings)
        meaning = action.help or ""
        if action.choices:
            meaning += " One of: " + ", ".join(f"`{c}`" for c in action.choices) + "."
        rows.append(f"| {flag} | {_cell(meaning)} |\n")
    return "".join(rows)


# README regions between `<!-- BEGIN name: ... -->` and `<!-- END name -->` lines.
README_REGIONS: Final = {"flags": flags_table, "metrics": metrics_table}


def _replace_region(readme: str, name: str, content: str) -> str:
    begin = f"<!-- BEGIN {name}: generated by `python -m docs`; do not edit -->\n"
    end = f"<!-- END {name} -->\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(readme):
        raise ValueError(f"README.md lacks the region {begin.strip()} ... {end.strip()}")
    return pattern.sub(lambda _: begin + content + end, readme)


def readme_with_tables(readme: str) -> str:
    """README.md with each generated region replaced by what the code says now."""
    for name, render in README_REGIONS.items():
        readme = _replace_region(readme, name, render())
    return readme


def render_all() -> dict[Path, str]:
    """Every generated document, path -> content."""
    return {
        CONFIGURATION: configuration_md(),
        README: readme_with_tables(README.read_text(encoding="utf-8")),
    }


def outdated() -> list[Path]:
    return [p for p, text in render_all().items() if p.read_text(encoding="utf-8") != text]


def undocumented() -> list[str]:
    """Configuration keys that have neither a pydantic description nor one in DESCRIPTIONS."""
    return [key.path for key in keys() if not key.description]


def stale_descriptions() -> list[str]:
    """DESCRIPTIONS entries for keys the models no longer have."""
    paths = {key.path for key in keys()}
    return sorted(set(DESCRIPTIONS) - paths)
