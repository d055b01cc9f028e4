"""Paths and loaders shared by the deployment-file tests."""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SCHEMAS = Path(__file__).parent / "schemas"
# The image's pinned, hashed runtime dependencies (scripts/lock.sh).
LOCK = ROOT / "requirements.lock"


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


ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(?: ;.*)?$")


def locked(path: Path = LOCK) -> dict[str, tuple[Version, list[str]]]:
    """Name -> (pinned version, hashes), from the lock's `name==version \\ --hash=...` entries."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    out: dict[str, tuple[Version, list[str]]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, *options = re.split(r"\s+--", line)
        match = ENTRY.match(head.strip().rstrip("\\").strip())
        assert match, f"requirements.lock: not a pinned entry: {line[:80]}"
        name = canonicalize_name(match[1])
        assert name not in out, f"requirements.lock pins {name} twice"
        hashes = [o.removeprefix("hash=") for o in options if o.startswith("hash=sha256:")]
        out[name] = (Version(match[2]), hashes)
    return out
