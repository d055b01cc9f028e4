"""The bench's processes and machine readings: the copy of exporter/ every process runs, the
simulator, the exporter CLI and the reference server, CPU and memory from /proc.

Everything listens on 127.0.0.1; every wait is bounded by a deadline. Imports no exporter
module (run.py must take the copy before the first one).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
OUT = BENCH / "out"
TREE = OUT / "tree"
HOST = "127.0.0.1"
_TICK = os.sysconf("SC_CLK_TCK")
_CHECK = "import exporter.cli, exporter.simulator, exporter.sync.poller, exporter.serve.collector"


def snapshot(attempts: int = 6, pause: float = 5.0) -> Path:
    """Copy exporter/ to bench/out/tree/ until the copy imports cleanly (bounded).

    Other people edit the working tree while the benchmark runs; without a copy, the
    in-process syncs, the simulator and the exporter processes could each run a different
    (or a half-edited) version."""
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
        compile_all = [sys.executable, "-m", "compileall", "-q", str(TREE / "exporter")]
        subprocess.run(compile_all, capture_output=True, timeout=120, check=False)
        done = subprocess.run(
            [sys.executable, "-c", _CHECK], cwd=TREE, capture_output=True, text=True, timeout=60
        )
        if done.returncode == 0:
            return TREE
        problem = (done.stderr.strip() or "?").splitlines()[-1]
        print(f"[bench] exporter/ does not import ({problem}); retrying", file=sys.stderr)
    raise RuntimeError(f"exporter/ did not import after {attempts} attempts: {problem}")


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
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a live process, in KiB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0])
    return out


class Others:
    """CPU that processes other than ours used meanwhile, in cores: other people's work on this
    shared 2-core machine; a figure measured while it is well above 0 is slowed by it."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self._start = self._read()

    def _read(self) -> tuple[float, float]:
        """(CPU seconds used by processes not ours so far, perf_counter)."""
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait; steal excluded
        ours = time.process_time() + sum(cpu_seconds(pid) for pid in self.pids)
        return busy / _TICK - ours, time.perf_counter()

    def stop(self) -> float:
        (other, now), (other0, then) = self._read(), self._start
        return max(0.0, other - other0) / max(now - then, 1e-9)


def other_cores() -> float:
    """One second's reading of the cores other processes use."""
    probe = Others([])
    time.sleep(1.0)
    return probe.stop()


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int
    started: float  # time.perf_counter() just before Popen

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        """GET `path` of this process; fails with its log's tail if it has exited."""
        if not self.alive():
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")
        return http_get(self.port, path, timeout)

    def wait_for(self, path: str, timeout: float, step: float = 0.05) -> float:
        """Until `path` answers 200; returns seconds since Popen."""
        at = wait_until(lambda: self.get(path)[0] == 200, timeout, f"{self.name} {path}", step)
        return at - self.started

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


def spawn(
    name: str, args: Sequence[str], log_dir: Path, cwd: Path = TREE, bench: bool = False
) -> Proc:
    """`python ARGS` with "{listen}" in ARGS replaced by HOST:PORT of a free port. cwd is the
    snapshot, so `-m exporter` imports the copied exporter with the sys.path a user's process
    has; `bench` puts the repository (for bench modules) after it."""
    log, port = log_dir / f"{name}.log", free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)} if bench else None
    argv = [sys.executable, *(a.format(listen=f"{HOST}:{port}") for a in args)]
    with log.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    return Proc(name, popen, log, port, started)


def start_simulator(
    instances: int | str,
    log_dir: Path,
    latency_ms: int = 50,
    users: int | None = None,
    cwd: Path = TREE,
) -> Proc:
    args = ["-m", "exporter.simulator", "--listen", "{listen}", "--instances", str(instances)]
    args += ["--latency", f"{latency_ms}ms", "--log.level", "warning"]
    args += ["--users", str(users)] if users is not None else []
    proc = spawn("simulator", args, log_dir, cwd)
    proc.wait_for("/-/sim/instances", 60)
    return proc


def start_exporter(name: str, config: dict[str, Any], log_dir: Path) -> Proc:
    """The real exporter process (`python -m exporter`), not waited for."""
    path = log_dir / f"{name}.yml"
    path.write_text(json.dumps(config))  # JSON is YAML
    args = ["-m", "exporter", "--config.file", str(path), "--web.listen-address", "{listen}"]
    return spawn(name, [*args, "--log.level", "warn"], log_dir)


def start_reference_server(samples: Path, log_dir: Path) -> Proc:
    args = ["-m", "bench.reference", str(samples), "{listen}"]
    proc = spawn("reference", args, log_dir, bench=True)
    proc.wait_for("/-/healthy", 30)
    return proc


def import_floor_kib() -> int:
    """Peak RSS of an interpreter that only imported the exporter's CLI module."""
    status = "open('/proc/self/status').read()"
    code = f"import exporter.cli, re; print(re.findall(r'VmHWM:\\s*(\\d+)', {status})[0])"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=TREE, capture_output=True, check=True, timeout=60
    )
    return int(done.stdout.decode().strip())
