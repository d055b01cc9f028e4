"""One version everywhere: the package, `--version`, the changelog, the image and manifests."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from exporter import __version__

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_version_flag_prints_the_package_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "exporter", "--version"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"atlassian-license-exporter {__version__}\n"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == __version__


def test_changelog_keeps_a_changelog_and_lists_this_version_first() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "[Keep a Changelog](https://keepachangelog.com/en/1.1.0/)" in text
    versions = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d\d-\d\d|Unreleased))?$", text, re.M)
    headings = re.findall(r"^## .*$", text, re.M)
    assert len(versions) == len(headings), "every release heading is `## [x.y.z] - date`"
    assert versions[0] == (__version__, "Unreleased")
    kinds = set(re.findall(r"^### (.*)$", text, re.M))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert re.search(rf"^\[{re.escape(__version__)}\]: https://", text, re.M)


def test_image_tags_name_this_version() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["exporter"]["image"] == f"atlassian-license-exporter:{__version__}"
    kubernetes = ROOT / "deploy" / "kubernetes"
    kustomization = yaml.safe_load((kubernetes / "kustomization.yaml").read_text())
    (image,) = kustomization["images"]
    assert image["newTag"] == __version__
    deployment = yaml.safe_load((kubernetes / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{image['name']}:{__version__}"
    assert f"ARG VERSION={__version__}\n" in (ROOT / "Dockerfile").read_text()
