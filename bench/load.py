"""Load test of /metrics while syncs run and upstream faults are injected.

Starts the simulator and the exporter (200 applications, short sync interval) as separate
processes on loopback, then drives /metrics with many concurrent clients for a bounded time
while a fault rotation hits a quarter of the instances. Reports requests, errors, latency
percentiles, the syncs that ran meanwhile, the CPU each process used and the exporter's peak
RSS. Exits 1 when the goal (no error, p99 < 100 ms) is missed.

    .venv/bin/python bench/load.py [--apps 200] [--clients 50] [--seconds 30]
    .venv/bin/python bench/load.py --apps 40 --clients 10 --seconds 5   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import itertools
import sys
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # as `python bench/load.py`

from bench.measure import percentile, table
from bench.procs import (
    HOST,
    Proc,
    cpu_seconds,
    memory_kib,
    snapshot,
    start_exporter,
    start_simulator,
)
from bench.reference import samples
from bench.scrape import Connection, connect
from bench.workload import apps, config_dict

FAULTS: list[dict[str, object]] = [
    {"kind": "slow", "seconds": 5},
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 429, "retry_after": "5"},
    {"kind": "drip", "seconds": 0.5},
    {"kind": "html"},
    {"kind": "reset"},
    {"kind": "malformed_json"},
    {"kind": "unauthorized", "captcha": True},
]
# What Prometheus 2.x sends: OpenMetrics preferred. curl and most tools send */*: text.
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
FAILURES = (OSError, TimeoutError, EOFError, ValueError, RuntimeError, zlib.error)


async def rotate_faults(sim: Proc, names: list[str], stop: asyncio.Event) -> int:
    """Every second, move a fault to the next instance of the faulty quarter."""
    injected = 0
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{sim.port}", timeout=5) as client:
        for name, fault in zip(itertools.cycle(names), itertools.cycle(FAULTS)):
            if stop.is_set():
                break
            await client.post(f"/-/sim/{name}/fault", json=fault)
            injected += 1
            await asyncio.sleep(1)
        for name in names:
            await client.post(f"/-/sim/{name}/fault", json={})
    return injected


@dataclass
class Driven:
    """What one driver process saw: latencies of good answers, failures, its wall and CPU."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    examples: list[str] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0


async def drive(port: int, clients: int, seconds: float, applications: int) -> Driven:
    """`clients` keep-alive connections, each asking again as soon as it has its answer (a
    closed loop), with gzip as Prometheus asks; half ask for OpenMetrics as Prometheus does,
    half for the text format. Every answer is checked: status 200, gzip that decompresses to
    an exposition of the asked-for format with a sync_up line for every application (or
    bytes already checked).

    The client is bench/scrape.py's raw HTTP/1.1 one: the driver shares 2 cores with the
    exporter, and a closed loop measures whichever side is slower (with httpx or aiohttp's
    client, about 150 and 700 requests/s for one driver process).
    """
    driven, deadline = Driven(), time.monotonic() + seconds
    # Bodies already checked: the exporter serves identical bytes until its state changes, and
    # decompressing every answer would cost the driver 0.6 ms each, more than the exporter.
    checked: set[bytes] = set()

    def check(status: int, headers: dict[str, str], body: bytes, openmetrics: bool) -> str:
        """What is wrong with an answer, or ""."""
        kind = headers.get("content-type", "")
        if status != 200 or headers.get("content-encoding") != "gzip":
            return f"HTTP {status}, content-encoding {headers.get('content-encoding')}"
        if kind.startswith("application/openmetrics-text") != openmetrics:
            return f"wrong format {kind}"
        if body in checked:
            return ""
        text = gzip.decompress(body)
        if text.count(b"\natlassian_license_sync_up{") != applications:
            return "sync_up missing for some applications"
        if openmetrics and not text.endswith(b"# EOF\n"):
            return "OpenMetrics without # EOF"
        if len(checked) > 100:
            checked.clear()
        checked.add(body)
        return ""

    async def worker(openmetrics: bool) -> None:
        accept = f"Accept: {PROMETHEUS_ACCEPT}\r\n" if openmetrics else ""
        request = f"GET /metrics HTTP/1.1\r\nHost: {HOST}:{port}\r\n{accept}"
        request += "Accept-Encoding: gzip\r\n\r\n"
        connection: Connection | None = None
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(10):
                    connection = connection or await connect(port)
                    problem = check(*await connection.fetch(request.encode()), openmetrics)
            except FAILURES as exc:  # asyncio.LimitOverrunError is a RuntimeError
                problem = f"{type(exc).__name__}: {exc}"
                if connection is not None:
                    connection.close()
                connection = None
            if problem:  # not in the percentiles: a refused connection would look fast
                driven.errors += 1
                driven.examples += [problem] if len(driven.examples) < 3 else []
            else:
                driven.latencies.append(time.perf_counter() - started)
        if connection is not None:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i % 2 == 0) for i in range(clients)))
    driven.wall = time.perf_counter() - started
    return driven


def drive_process(port: int, clients: int, seconds: float, applications: int) -> Driven:
    """One driver process."""
    cpu = time.process_time()
    driven = asyncio.run(drive(port, clients, seconds, applications))
    driven.cpu = time.process_time() - cpu
    return driven


def sync_progress(exporter: Proc) -> tuple[dict[str, float], float]:
    """Each application's last successful sync, and the failed syncs so far, from /metrics."""
    status, body = exporter.get("/metrics", timeout=10)
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    text = body.decode()
    failures = sum(v for _, v in samples(text, "atlassian_license_sync_failures_total"))
    success = samples(text, "atlassian_license_sync_last_success_timestamp_seconds")
    return {labels["application"]: v for labels, v in success}, failures


async def run_drivers(
    args: argparse.Namespace, sim: Proc, exporter: Proc, faulty: list[str]
) -> tuple[list[Driven], int]:
    stop = asyncio.Event()
    rotation = asyncio.create_task(rotate_faults(sim, faulty, stop))
    loop = asyncio.get_running_loop()
    shares = [len(range(i, args.clients, args.processes)) for i in range(args.processes)]
    with ProcessPoolExecutor(args.processes) as pool:
        work = (args.seconds, args.apps)
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, drive_process, exporter.port, n, *work) for n in shares)
        )
    stop.set()
    return results, await rotation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--processes", type=int, default=2, help="driver processes (one a core)")
    parser.add_argument(
        "--sync-interval",
        default="10s",
        help="the applications' sync_interval (default 10s: 20 syncs a second, so every "
        "application syncs during a 30 s run; 30 times the rate of a 5m interval)",
    )
    args = parser.parse_args()
    snapshot()  # the processes run a copy of exporter/ (bench/procs.py's spawn)
    logs = Path(tempfile.mkdtemp(prefix="load-"))
    sim = start_simulator(args.apps, logs)
    exporter: Proc | None = None
    try:
        selected = list(apps(sim).values())
        config = config_dict(selected, sync_interval=args.sync_interval, timeout="2s")
        exporter = start_exporter("load", config, logs)
        exporter.wait_for("/-/ready", 120, step=0.2)
        pids = {"exporter": exporter.pid, "simulator": sim.pid}
        synced_before, failed_before = sync_progress(exporter)
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        wall = time.perf_counter()
        faulty = [app.name for app in selected[: args.apps // 4]]
        driven, injected = asyncio.run(run_drivers(args, sim, exporter, faulty))
        wall = time.perf_counter() - wall
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        cpu["load driver"] = sum(d.cpu for d in driven)
        synced_after, failed_after = sync_progress(exporter)
        succeeded = sum(1 for name, t in synced_after.items() if t > synced_before.get(name, 0.0))
        alive, rss = exporter.alive(), memory_kib(exporter.pid)["VmHWM"] / 1024
    finally:
        for proc in (exporter, sim):
            if proc is not None:
                proc.stop()
    ms = [v * 1000 for d in driven for v in d.latencies]
    errors = sum(d.errors for d in driven)
    # Each process counts its own clients' time: from its first request to its last answer.
    per_second = sum(len(d.latencies) / d.wall for d in driven if d.wall)
    some = [e for d in driven for e in d.examples][:3]
    examples = f" (e.g. {'; '.join(some)})" if some else ""
    rows = [
        ("applications", args.apps),
        ("concurrent clients", args.clients),
        ("duration", f"{args.seconds:g} s"),
        ("sync interval", args.sync_interval),
        ("faults injected", f"{injected} (rotating over {args.apps // 4} apps)"),
        ("failed syncs and user scans during the run", f"{failed_after - failed_before:.0f}"),
        ("applications with a newer successful sync", f"{succeeded} of {args.apps}"),
        ("driver processes", args.processes),
        ("formats asked for", "half OpenMetrics (Prometheus' Accept), half text; all gzip"),
        ("good answers", len(ms)),
        ("errors", f"{errors}{examples}"),
        ("good answers/s", f"{per_second:.0f}"),
        *((f"latency p{q} (good answers)", f"{percentile(ms, q):.1f} ms") for q in (50, 90, 99)),
        ("latency max", f"{max(ms, default=0):.1f} ms"),
        *((f"CPU used, {name}", f"{s:.1f} s ({s / wall:.2f} cores)") for name, s in cpu.items()),
        ("exporter peak RSS", f"{rss:.1f} MiB"),
        ("exporter alive", alive),
    ]
    print("\n".join(table("load test | value", rows)))
    goal = not errors and alive and bool(ms) and percentile(ms, 99) < 100
    print(f"goal (no error, p99 < 100 ms, {args.apps} applications): {'met' if goal else 'MISSED'}")
    return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
