"""Real processes for the benchmark: the simulator, the exporter CLI, the reference server.

Everything listens on 127.0.0.1; every wait is bounded by a deadline.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.tree import ROOT, TREE

BENCH = ROOT / "bench"
HOST = "127.0.0.1"
_TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def http_get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """One GET on a fresh connection; raises OSError while nothing listens."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.01) -> float:
    """Poll `check` until it holds; returns the time.perf_counter() at which it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return time.perf_counter()
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def system_cpu() -> tuple[float, float]:
    """Machine-wide busy and steal CPU seconds so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq) / _TICK, steal / _TICK


class Others:
    """CPU that processes other than ours used meanwhile (in cores), and hypervisor steal.

    Other people's work on this shared 2-core machine shows up here; a figure measured
    while `other` is well above 0 is slowed by it."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self._start = self._read()

    def _read(self) -> tuple[float, float, float, float]:
        busy, steal = system_cpu()
        ours = time.process_time() + sum(cpu_seconds(pid) for pid in self.pids)
        return busy, steal, ours, time.perf_counter()

    def stop(self) -> tuple[float, float]:
        busy, steal, ours, now = self._read()
        busy0, steal0, ours0, then = self._start
        wall = max(now - then, 1e-9)
        other = max(0.0, (busy - busy0) - (ours - ours0)) / wall
        return other, (steal - steal0) / wall


def quiet_machine(limit: float, wait: float) -> float:
    """Wait (at most `wait` s) until others use under `limit` cores; returns the last reading."""
    deadline = time.monotonic() + wait
    other = 0.0
    while True:
        probe = Others([])
        time.sleep(1.0)
        other, _ = probe.stop()
        if other < limit or time.monotonic() > deadline:
            return other


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a live process, in KiB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    started: float  # time.perf_counter() just before Popen

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def spawn(name: str, args: Sequence[str], log_dir: Path, pythonpath: bool = False) -> Proc:
    """cwd is the snapshot, so `-m exporter` imports the copied exporter with the same
    sys.path a user's process has; `pythonpath` adds it for scripts started by path."""
    log = log_dir / f"{name}.log"
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = str(TREE)
    with log.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(
            list(args), stdout=out, stderr=subprocess.STDOUT, cwd=TREE, env=env
        )
    return Proc(name, popen, log, started)


def start_simulator(n: int, latency_ms: int, log_dir: Path) -> tuple[Proc, int]:
    port = free_port()
    proc = spawn(
        "simulator",
        [
            sys.executable,
            "-m",
            "exporter.simulator",
            "--listen",
            f"{HOST}:{port}",
            "--instances",
            str(n),
            "--latency",
            f"{latency_ms}ms",
            "--log.level",
            "warning",
        ],
        log_dir,
    )

    def up() -> bool:
        proc.check_alive()
        return http_get(port, "/-/sim/instances", timeout=30)[0] == 200

    wait_until(up, 60, "the simulator", step=0.05)
    return proc, port


def start_exporter(name: str, config: dict[str, Any], log_dir: Path) -> tuple[Proc, int]:
    """The real exporter process (`python -m exporter`), not waited for."""
    path = log_dir / f"{name}.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "exporter",
        "--config.file",
        str(path),
        "--web.listen-address",
        f"{HOST}:{port}",
        "--log.level",
        "warn",
    ]
    return spawn(name, args, log_dir), port


def start_reference_server(samples: Path, log_dir: Path) -> tuple[Proc, int]:
    port = free_port()
    proc = spawn(
        "reference",
        [sys.executable, str(BENCH / "refserver.py"), str(samples), f"{HOST}:{port}"],
        log_dir,
        pythonpath=True,
    )

    def up() -> bool:
        proc.check_alive()
        return http_get(port, "/-/healthy")[0] == 200

    wait_until(up, 30, "the reference server", step=0.05)
    return proc, port


def import_floor_kib() -> int:
    """Peak RSS of an interpreter that only imported the exporter's CLI module."""
    code = (
        "import exporter.cli, pathlib; "
        "print([l for l in pathlib.Path('/proc/self/status').read_text().splitlines() "
        "if l.startswith('VmHWM')][0].split()[1])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=TREE, capture_output=True, check=True, timeout=60
    )
    return int(out.stdout.decode().strip())
