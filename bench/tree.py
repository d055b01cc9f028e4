"""A private copy of exporter/ for the whole run.

Other people edit the working tree while the benchmark runs; without a copy, the in-process
syncs, the simulator and the exporter processes could each run a different (or a half-edited)
version. This module must not import the exporter.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / "bench" / "out" / "tree"
_CHECK = "import exporter.cli, exporter.simulator, exporter.sync.poller, exporter.serve.collector"


def snapshot(attempts: int = 6, pause: float = 5.0) -> Path:
    """Copy exporter/ to bench/out/tree/ until the copy imports cleanly (bounded)."""
    problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(pause)
        shutil.rmtree(TREE, ignore_errors=True)
        shutil.copytree(
            ROOT / "exporter", TREE / "exporter", ignore=shutil.ignore_patterns("__pycache__")
        )
        # Byte-compiled like an installed package (this environment sets
        # PYTHONDONTWRITEBYTECODE, so nothing else would write the .pyc files).
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(TREE / "exporter")],
            capture_output=True,
            timeout=120,
            check=False,
        )
        done = subprocess.run(
            [sys.executable, "-c", _CHECK],
            cwd=TREE,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode == 0:
            return TREE
        problem = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
        print(f"[bench] exporter/ does not import ({problem}); retrying", file=sys.stderr)
    raise RuntimeError(f"exporter/ did not import after {attempts} attempts: {problem}")
