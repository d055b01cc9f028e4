"""Paths and loaders shared by the deployment-file tests."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SCHEMAS = Path(__file__).parent / "schemas"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def tool(name: str, package: str) -> str:
    """A Debian tool's path; missing means scripts/test.sh did not run (it installs them)."""
    path = shutil.which(name)
    assert path, f"{name} not found: run scripts/test.sh (apt-get install {package})"
    return path


def venv_tool(name: str) -> str:
    """A tool from the test extras, next to the running Python."""
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path, (
        f"{name} not found next to {sys.executable}: run scripts/test.sh (pip install -e .[dev])"
    )
    return path
