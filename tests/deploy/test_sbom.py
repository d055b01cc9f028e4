"""sbom.cdx.json, the CycloneDX SBOM of the image's runtime dependencies: valid CycloneDX 1.6,
exactly the distributions requirements.lock pins (version, purl, hashes), the exporter as the
described component, and current: scripts/sbom.sh regenerates it to the same content."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packaging.utils import canonicalize_name
from packaging.version import Version

from exporter import __version__
from tests.deploy.files import LOCK, ROOT, locked, pyproject, tool

SBOM = ROOT / "sbom.cdx.json"
SCRIPT = ROOT / "scripts" / "sbom.sh"


def load(path: Path = SBOM) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def content(bom: dict[str, Any]) -> dict[str, Any]:
    """What the SBOM says about the image: all of it but the generator's own version, so a newer
    cyclonedx-bom on a developer's machine does not fail the check by itself."""
    out = json.loads(json.dumps(bom))
    del out["metadata"]["tools"]
    return out


def generate(root: Path, output: Path) -> None:
    """Run scripts/sbom.sh of the tree at `root` with the test's interpreter."""
    env = {**os.environ, "PYTHON": sys.executable, "SOURCE_DATE_EPOCH": "1700000000"}
    result = subprocess.run(
        [str(root / "scripts" / "sbom.sh"), str(output)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def components(bom: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for component in bom["components"]:
        name = canonicalize_name(component["name"])
        assert name not in out, f"sbom.cdx.json lists {name} twice"
        out[name] = component
    return out


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SBOM scripts/sbom.sh generates now, from the committed lock."""
    # SOURCE_DATE_EPOCH is set (in generate) on purpose: the script must not add a timestamp.
    path = tmp_path_factory.mktemp("sbom") / "sbom.cdx.json"
    generate(ROOT, path)
    return path


def test_sbom_is_valid_cyclonedx_1_6() -> None:
    text = SBOM.read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"


@pytest.mark.integration
def test_sbom_is_current(fresh: Path) -> None:
    assert content(load(fresh)) == content(load()), "run scripts/sbom.sh and commit sbom.cdx.json"


@pytest.mark.integration
def test_regenerating_is_byte_stable(fresh: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.json"
    generate(ROOT, again)
    assert again.read_bytes() == fresh.read_bytes()
    assert "timestamp" not in load(fresh)["metadata"] and "serialNumber" not in load(fresh)


def test_every_locked_package_at_its_version_and_nothing_else() -> None:
    lock = locked()
    listed = components(load())
    assert set(listed) == set(lock)
    for name, (version, hashes) in lock.items():
        component = listed[name]
        assert component["type"] == "library", name
        assert Version(component["version"]) == version, name
        assert component["purl"] == f"pkg:pypi/{name}@{version}", name
        digests = {
            f"sha256:{h['content']}"
            for ref in component["externalReferences"]
            for h in ref.get("hashes", [])
            if h["alg"] == "SHA-256"
        }
        assert digests == set(hashes), name


def test_describes_the_exporter_and_names_its_generator() -> None:
    metadata = load()["metadata"]
    component = metadata["component"]
    project = pyproject()["project"]
    assert component["type"] == "application"
    assert component["name"] == project["name"]
    assert component["version"] == project["version"] == __version__
    assert component["licenses"][0]["license"]["id"] == project["license"]["text"]
    tools = {t["name"] for t in metadata["tools"]["components"]}
    assert "cyclonedx-py" in tools


@pytest.mark.integration
def test_a_lock_change_without_regenerating_fails_the_check(tmp_path: Path) -> None:
    # A copy of the inputs with one pin moved, run through the same script: its SBOM must
    # differ from the committed one in that component, which is what the check above compares.
    (tmp_path / "scripts").mkdir()
    shutil.copy2(SCRIPT, tmp_path / "scripts" / "sbom.sh")
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    lock_text = LOCK.read_text(encoding="utf-8")
    assert "\nsniffio==1.3.1 " in lock_text
    changed = tmp_path / "requirements.lock"
    changed.write_text(lock_text.replace("\nsniffio==1.3.1 ", "\nsniffio==1.3.0 "))
    output = tmp_path / "sbom.cdx.json"
    generate(tmp_path, output)
    assert content(load(output)) != content(load())
    before, after = components(load()), components(load(output))
    assert after["sniffio"]["version"] == "1.3.0" != before["sniffio"]["version"]
    assert {n: c for n, c in after.items() if n != "sniffio"} == {
        n: c for n, c in before.items() if n != "sniffio"
    }
    assert set(after) == set(locked(changed))


def readme_commands() -> tuple[str, str]:
    """The README's two listing commands: the Python program run in the image, the jq line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### What the image contains", 1)[1].split("\n### ", 1)[0]
    program = re.search(r"-c \\\n  '([^']+)' \\\n  \| sort > image\.txt", section)
    jq = re.search(r"^jq -r .* sbom\.cdx\.json \| sort > sbom\.txt$", section, re.MULTILINE)
    assert program and jq, "README: What the image contains lost its commands"
    return program[1], jq[0]


@pytest.mark.integration
def test_readme_verification_commands_list_the_same_pins(tmp_path: Path) -> None:
    program, jq = readme_commands()
    shutil.copy2(SBOM, tmp_path / "sbom.cdx.json")
    tool("jq", "jq")
    subprocess.run(["bash", "-c", jq], cwd=tmp_path, check=True)
    # sort(1) orders by locale, so compare as sets of lines with no duplicates.
    listed = (tmp_path / "sbom.txt").read_text(encoding="utf-8").split()
    assert len(listed) == len(set(listed))
    lock = locked()
    assert set(listed) == {f"{name}=={version}" for name, (version, _) in lock.items()}
    # The in-image half, run here: same `name==version` form, normalised the same way, so a
    # diff of the two files compares like with like (this interpreter's versions may differ).
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    installed = dict(line.split("==", 1) for line in result.stdout.split())
    assert set(lock) <= set(installed)
