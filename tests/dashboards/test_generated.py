"""Generated files are current, and `python -m dashboards --check` says so (or names the file)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dashboards import render
from dashboards.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


def test_committed_output_is_up_to_date() -> None:
    stale = render.outdated()
    assert not stale, f"run `python -m dashboards`: {[str(p) for p in stale]}"


def test_check_passes_on_fresh_output(tmp_path: Path) -> None:
    render.write_all(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(render.render_all())
    assert main(["--check", "--dir", str(tmp_path)]) == 0


def test_check_names_the_differing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    render.write_all(tmp_path)
    edited = tmp_path / "license-overview.json"
    edited.write_text(edited.read_text().replace('"refresh": "5m"', '"refresh": "1m"'))
    (tmp_path / "atlassian-license-rules.yaml").unlink()
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "license-overview.json" in err
    assert "atlassian-license-rules.yaml" in err
    assert "application-licenses.json" not in err


def test_check_writes_nothing(tmp_path: Path) -> None:
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    assert list(tmp_path.iterdir()) == []


def test_rendering_is_deterministic() -> None:
    assert render.render_all() == render.render_all()


@pytest.mark.integration
def test_module_entry_point_checks_committed_output() -> None:
    python = shutil.which("python", path=str(Path(sys.executable).parent)) or sys.executable
    result = subprocess.run(
        [python, "-m", "dashboards", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
