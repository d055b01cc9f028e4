"""Real processes for end-to-end tests: the exporter CLI, the simulator, Prometheus."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[2]


def samples(text: str) -> dict[str, float]:
    """A text exposition as {series with labels: value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a real process until `check` holds; fails the test with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, json.JSONDecodeError):
            pass  # not up yet: a starting Prometheus answers 503 in plain text
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Process:
    def __init__(self, args: Sequence[str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        self.proc = subprocess.Popen(
            list(args), stdout=self._file, stderr=subprocess.STDOUT, cwd=ROOT
        )

    def output(self) -> str:
        if not self._file.closed:
            self._file.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._file.close()
        return self.proc.returncode


def exporter_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter", *args]


def start_simulator(tmp: Path, *args: str) -> tuple[Process, str]:
    port = free_port()
    sim = Process(
        exporter_cmd("simulate", "--listen", f"127.0.0.1:{port}", *args), tmp / "simulator.log"
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{base}/-/sim/instances").status_code == 200, 20, "the simulator")
    return sim, base
