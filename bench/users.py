"""User-scan benchmark: scan 10,000 and 100,000 simulated users, print time and peak memory.

    .venv/bin/python -m bench.users [--users 10000,100000]

The simulator runs in its own process (`simulate --users N`), so the numbers are the
exporter's alone. Each scan is the exporter's own code (sources.USER_SCANS) over loopback HTTP:
Bitbucket joins two paged listings (the licensed names are held in a set), Crowd streams one
listing per product. "Peak RSS growth" is how far the process's resident set rose above where
it was before the scan (Linux VmHWM, reset before each scan); "peak traced" is the largest
Python heap the scan had at once (tracemalloc, in a second, slower run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from pathlib import Path
from typing import Any

from exporter.config.load import Config, parse_config
from exporter.config.users import ScanSettings
from exporter.sources import USER_SCANS
from exporter.sources.http import LinkClient, SSLContexts, build_client

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 120.0
# (application, type, simulator instance, Crowd keys): the demo estate's user lists.
TARGETS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("bitbucket-prod", "bitbucket", "bitbucket-prod", {}),
    ("jira-emea", "crowd", "crowd", {"crowd_application_id": 3, "crowd_application_type": "jira"}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(users: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "exporter", "simulate", "--listen", f"127.0.0.1:{port}",
         "--instances", "demo", "--users", str(users), "--log.level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/-/sim/instances", timeout=1):
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the simulator did not start within 30 s")


def config(base: str) -> Config:
    login = {"username": "admin", "password": "admin"}
    apps = [
        {"name": name, "type": kind, **keys, "link": {"url": f"{base}/{inst}", "basic_auth": login}}
        for name, kind, inst, keys in TARGETS
    ]
    detail = {"inactive_for": "90d", "max_users": 50}
    return parse_config({"global": {"timeout": "60s", "user_detail": detail}, "applications": apps})


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux 4.0+), so each scan gets its own peak.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


PEAK_RSS_KIB = [0]  # the highest VmHWM seen after any scan


async def scan(cfg: Config, name: str, traced: bool) -> tuple[float, int, int, int]:
    """(seconds, licensed users seen, peak RSS growth KiB, peak traced bytes)."""
    app = next(a for a in cfg.applications if a.name == name)
    http = build_client(app.link, SSLContexts(), 60.0)
    client = LinkClient(http, app.link, 60.0, cfg.global_.body_size_limit)
    settings = ScanSettings.from_config(cfg, app)
    try:
        _reset_peak()
        before = _rss_kib("VmRSS")
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        result = await USER_SCANS[app.type](client, app, settings, time.time())
        elapsed = time.perf_counter() - started
        peak_traced = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
        peak = _rss_kib("VmHWM")
        PEAK_RSS_KIB[0] = max(PEAK_RSS_KIB[0], peak)
        growth = peak - before
    finally:
        await http.aclose()
    return elapsed, sum(p.licensed for p in result.products), growth, peak_traced


async def run(counts: list[int]) -> bool:
    print(f"{'users':>8} {'source':<10} {'licensed':>9} {'scan':>8} {'users/s':>9} "
          f"{'peak RSS growth':>16} {'peak traced':>12}")  # fmt: skip
    ok = True
    for count in counts:
        proc, base = start_simulator(count)
        try:
            cfg = config(base)
            for name, kind, _, _ in TARGETS:
                elapsed, licensed, growth, _ = await scan(cfg, name, traced=False)
                _, _, _, traced = await scan(cfg, name, traced=True)
                ok = ok and elapsed < GOAL_SECONDS
                print(f"{count:>8} {kind:<10} {licensed:>9} {elapsed:>7.1f}s "
                      f"{licensed / elapsed:>9.0f} {growth / 1024:>13.1f} MiB "
                      f"{traced / 2**20:>8.1f} MiB", flush=True)  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"peak RSS of this (exporter-side) process: {PEAK_RSS_KIB[0] / 1024:.0f} MiB; "
          f"goal, every scan under {GOAL_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")  # fmt: skip
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.users", description=__doc__)
    parser.add_argument("--users", default="10000,100000", help="comma-separated user counts")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.users.split(",")]
    return 0 if asyncio.run(run(counts)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
