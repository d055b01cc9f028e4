"""User-scan benchmark: scan 10,000 and 100,000 simulated users, print time and peak memory.

    .venv/bin/python -m bench.users [--users 10000,100000]   # --users 10000: a quick run

The simulator runs in its own process (`--instances demo --users N`), so the numbers are the
exporter's alone. Each scan is the exporter's own code (the type's scan, exporter.apptypes) over
loopback HTTP
against two demo instances: Bitbucket joins two paged listings (the licensed names are held
in a set), Crowd streams one listing per product. "Peak RSS growth" is how far the process's
resident set rose above where it was before the scan (Linux VmHWM, reset before each scan);
"peak traced" is the largest Python heap the scan had at once (tracemalloc, in a second,
slower run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as `python bench/users.py`

from bench.measure import table
from bench.procs import ROOT, Proc, memory_kib, start_simulator
from bench.workload import apps, config_dict
from exporter.apptypes import TYPES
from exporter.config.load import Application, Config, parse_config
from exporter.config.targets import target
from exporter.sources.http import LinkClient, SSLContexts, build_client

GOAL_SECONDS = 120.0


def config(sim: Proc) -> Config:
    """The demo's Bitbucket instance and the first application its Crowd instance knows."""
    demo = apps(sim)
    selected = [demo["bitbucket-prod"], demo["jira-emea"]]
    detail = {"inactive_for": "90d", "max_users": 50}
    return parse_config(config_dict(selected, timeout="60s", user_detail=detail))


async def scan(cfg: Config, application: Application, traced: bool) -> tuple[float, int, int, int]:
    """(seconds, licensed users seen, peak RSS growth KiB, peak traced bytes)."""
    http = build_client(application.link, SSLContexts(), 60.0)
    client = LinkClient(http, application.link, 60.0, cfg.global_.body_size_limit)
    users = target(cfg, application).users
    scan_users = TYPES[application.type].scan
    assert users is not None and scan_users is not None
    settings = users.settings
    try:
        # Writing 5 to clear_refs resets VmHWM (Linux 4.0+), so each scan gets its own peak.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        before = memory_kib()["VmRSS"]
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        result = await scan_users(client, application, settings, time.time())
        elapsed = time.perf_counter() - started
        peak_traced = tracemalloc.get_traced_memory()[1] if traced else 0
        tracemalloc.stop()
        growth = memory_kib()["VmHWM"] - before
    finally:
        await http.aclose()
    return elapsed, sum(p.licensed for p in result.products), growth, peak_traced


async def run(counts: list[int]) -> bool:
    ok, peak, rows = True, 0, []
    for count in counts:
        sim = start_simulator("demo", Path(tempfile.mkdtemp(prefix="users-")), 0, count, ROOT)
        try:
            cfg = config(sim)
            for application in cfg.applications:
                elapsed, licensed, growth, _ = await scan(cfg, application, traced=False)
                peak = max(peak, memory_kib()["VmHWM"])
                _, _, _, traced = await scan(cfg, application, traced=True)
                peak = max(peak, memory_kib()["VmHWM"])
                ok = ok and elapsed < GOAL_SECONDS
                rows.append([count, application.type, licensed, f"{elapsed:.1f} s",
                             f"{licensed / elapsed:.0f}", f"{growth / 1024:.1f} MiB",
                             f"{traced / 2**20:.1f} MiB"])  # fmt: skip
        finally:
            sim.stop()
    header = "users | source | licensed | scan | users/s | peak RSS growth | peak traced"
    print("\n".join(table(header, rows)))
    print(f"peak RSS of this (exporter-side) process: {peak / 1024:.0f} MiB; "
          f"goal, every scan under {GOAL_SECONDS:.0f} s: {'met' if ok else 'MISSED'}")  # fmt: skip
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.users", description=__doc__)
    parser.add_argument("--users", default="10000,100000", help="comma-separated user counts")
    counts = [int(c) for c in parser.parse_args(argv).users.split(",")]
    return 0 if asyncio.run(run(counts)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
