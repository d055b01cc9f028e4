"""The two layers of the suite: unit tests run in-process; a test that starts a process
(Prometheus, promtool, amtool, Chromium, openssl, hadolint, the exporter or the simulator as a
command...) is marked `integration`.

The marker is kept honest by watching subprocess.Popen, through which subprocess.run and asyncio's
subprocesses go: an unmarked test that starts a process fails and names the command.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

MARKER = "integration"


class SpawnWatch:
    """Records the commands started through subprocess.Popen while installed."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self._original = subprocess.Popen.__init__

    def install(self) -> None:
        original, commands = self._original, self.commands

        def init(popen: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
            argv = [args] if isinstance(args, str | bytes) else list(args)
            commands.append(" ".join(str(a) for a in argv[:3]))
            original(popen, args, *rest, **kw)

        subprocess.Popen.__init__ = init  # type: ignore[method-assign]

    def clear(self) -> None:
        self.commands.clear()

    def uninstall(self) -> None:
        subprocess.Popen.__init__ = self._original  # type: ignore[method-assign]


# Where the session's watch lives (config.stash): made in pytest_configure, not at import.
WATCH = pytest.StashKey[SpawnWatch]()


def is_integration(item: pytest.Item) -> bool:
    return item.get_closest_marker(MARKER) is not None


def unmarked_start(item: pytest.Item) -> str | None:
    """Why `item` fails its layer: it started a process since the last clear() but is unmarked."""
    commands = item.config.stash[WATCH].commands
    if not commands or is_integration(item):
        return None
    return (
        f"{item.nodeid} starts a process ({'; '.join(commands)}) but is not marked "
        f"{MARKER}: add pytest.mark.{MARKER} (see tests/layers.py)"
    )
