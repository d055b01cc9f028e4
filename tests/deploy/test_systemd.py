"""deploy/systemd/: the unit passes `systemd-analyze verify` (in a scratch root holding stand-ins
for the programs it runs), and its command lines are valid for the exporter."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from exporter.cli import build_parser
from tests.deploy.files import DEPLOY, tool

UNIT = DEPLOY / "systemd" / "atlassian-license-exporter.service"
SYSTEM_UNITS = Path("/usr/lib/systemd/system")


def directives(key: str) -> list[str]:
    return [
        line.split("=", 1)[1]
        for line in UNIT.read_text().splitlines()
        if line.startswith(f"{key}=")
    ]


@pytest.mark.integration
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze", "systemd")
    root = tmp_path / "root"
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "etc/systemd/system" / UNIT.name)
    # verify checks that every Exec*= program exists and is executable under the root.
    for key in ("ExecStart", "ExecStartPre", "ExecReload"):
        for line in directives(key):
            program = root / shlex.split(line)[0].lstrip("/")
            program.parent.mkdir(parents=True, exist_ok=True)
            program.write_text("#!/bin/sh\n")
            program.chmod(0o755)
    result = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", UNIT.name],
        capture_output=True,
        text=True,
    )
    # Unknown or misspelt keys are only warnings to systemd: any output fails the test.
    assert result.returncode == 0 and not result.stdout + result.stderr, result.stderr


def test_commands_are_valid_exporter_command_lines() -> None:
    (start,) = directives("ExecStart")
    (check,) = directives("ExecStartPre")
    for line in (start, check):
        program, *args = shlex.split(line)
        assert program.endswith("/bin/atlassian-license-exporter")
        build_parser().parse_args(args)
    assert "--config.check" in check
    assert directives("ExecReload") == ["/bin/kill -HUP $MAINPID"]
    assert directives("User") == directives("Group") == ["atlassian-license-exporter"]


def test_the_descriptor_limit_is_raised() -> None:
    # systemd's default of 1,024 is exhausted by ~1,100 idle connections or 1,000 applications.
    assert directives("LimitNOFILE") == ["65536"]
