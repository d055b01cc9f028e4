"""The generated references equal what the code says: docs/configuration.md against the pydantic
models, README's flag and metric tables against the CLI and the metric contract."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from docs import reference
from docs.__main__ import main
from exporter import metrics
from exporter.cli import build_parser
from exporter.config.load import Config

ROOT = Path(__file__).resolve().parents[2]


def test_generated_documents_are_current() -> None:
    stale = reference.outdated()
    assert not stale, f"run `.venv/bin/python -m docs`: {[str(p) for p in stale]}"


def test_every_configuration_key_is_described() -> None:
    assert reference.undocumented() == [], "describe them in docs/descriptions.py"
    assert reference.stale_descriptions() == [], "remove them from docs/descriptions.py"


def schema_paths(schema: dict[str, Any], node: dict[str, Any], prefix: str) -> set[str]:
    """Key paths of pydantic's own JSON schema of the models: a second, independent walk."""
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    for variant in node.get("anyOf", []):
        if variant.get("type") != "null":
            return schema_paths(schema, variant, prefix)
    if "oneOf" in node:  # the union of application types: every type's keys
        return set().union(*(schema_paths(schema, v, prefix) for v in node["oneOf"]))
    if node.get("type") == "array" and "items" in node:
        return schema_paths(schema, node["items"], prefix + "[]")
    paths: set[str] = set()
    for key, child in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        paths.add(path)
        paths |= schema_paths(schema, child, path)
    return paths


def documented_paths() -> set[str]:
    """Key paths in docs/configuration.md, read back from its sections and tables."""
    paths, section = set(), ""
    for line in reference.CONFIGURATION.read_text().splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            section = "" if title == "Top level" else title.strip("`")
        elif match := re.match(r"\| `([^`]+)` \|", line):
            paths.add(f"{section}.{match[1]}" if section else match[1])
    return paths


def test_configuration_reference_lists_exactly_the_models_keys() -> None:
    schema = Config.model_json_schema(by_alias=True, mode="validation")
    assert documented_paths() == schema_paths(schema, schema, "")


def test_configuration_reference_states_defaults_as_the_models_do() -> None:
    text = reference.CONFIGURATION.read_text()
    assert "| `sync_interval` | duration | `5m` |" in text
    assert "| `max_concurrent_syncs` | integer (1 to 1024) | `16` |" in text
    assert "| `body_size_limit` | size | `10MiB` |" in text
    assert "| `name` | string | required |" in text


def table_rows(text: str, region: str) -> list[list[str]]:
    block = text.split(f"<!-- BEGIN {region}:", 1)[1].split(f"<!-- END {region} -->", 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_readme_metrics_table_is_the_metric_contract() -> None:
    rows = table_rows(reference.README.read_text(), "metrics")
    assert [r[0].strip("`") for r in rows] == [s.name for s in metrics.ALL_METRICS]
    for row, spec in zip(rows, metrics.ALL_METRICS, strict=True):
        assert row[1] == spec.type
        assert re.findall(r"`(\w+)`", row[2]) == list(spec.labels)
        assert row[3].replace("\\|", "|") == spec.help


def test_readme_flags_table_is_the_command_line() -> None:
    rows = table_rows(reference.README.read_text(), "flags")
    documented = {flag for row in rows for flag in re.findall(r"`(--[\w.-]+)`", row[0])}
    parser_flags = {
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert documented == parser_flags


def test_check_names_a_stale_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(reference.README, readme)
    readme.write_text(readme.read_text().replace("| `atlassian_license_seats_used` |", "| x |"))
    monkeypatch.setattr(reference, "README", readme)
    assert main(["--check"]) == 1
    assert str(readme) in capsys.readouterr().err


@pytest.mark.integration
def test_module_entry_point_checks_the_committed_documents() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "docs", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
