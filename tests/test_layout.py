"""The suite's layout rule: a test module imports helper modules, never another test module or
a conftest (shared fixtures come from tests/conftest.py, shared objects from helpers)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
TEST_MODULES = sorted(TESTS.rglob("test_*.py"))


def forbidden(name: str) -> bool:
    """A module of this suite (absolute under tests., or relative) that is a test or conftest;
    a third-party module such as aiohttp.test_utils is no test module of ours."""
    if not (name == "tests" or name.startswith(("tests.", "."))):
        return False
    leaf = name.rsplit(".", 1)[-1]
    return leaf.startswith("test_") or leaf == "conftest"


def imported_modules(tree: ast.Module) -> list[str]:
    """Every module an import statement names, `from x import y` counted as x and x.y (y may be
    a module); relative imports keep their dots so `from . import test_x` is seen too."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.append(base)
            names.extend(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return names


def test_the_suite_has_test_modules_to_check() -> None:
    assert len(TEST_MODULES) > 50


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_module_imports_a_test_module_or_a_conftest(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    bad = [name for name in imported_modules(tree) if forbidden(name.rstrip("."))]
    assert bad == [], f"{path.relative_to(TESTS)} imports {bad}: move what it shares to a helper"


@pytest.mark.parametrize(
    "source",
    [
        "from tests.test_poller import Clock",
        "from tests.faults.conftest import Rig",
        "from .conftest import ADMIN",
        "from . import test_crowd",
        "import tests.sources.test_crowd",
    ],
)
def test_the_check_sees_every_form_of_import(source: str) -> None:
    assert any(forbidden(name.rstrip(".")) for name in imported_modules(ast.parse(source)))


def test_helper_imports_pass_the_check() -> None:
    source = (
        "from tests.factories import make_config\nfrom tests.faults.rig import Rig\n"
        "from aiohttp.test_utils import TestClient\n"
    )
    assert not any(forbidden(name) for name in imported_modules(ast.parse(source)))
