"""Load test of /metrics while syncs run and upstream faults are injected.

Starts the simulator (200 instances) and the exporter (200 applications, short sync
interval) as separate processes on loopback, then drives /metrics with many concurrent
clients for a bounded time while a fault rotation hits a quarter of the instances.
Reports requests, errors, latency percentiles and the exporter's peak RSS.

    .venv/bin/python bench/load.py [--apps 200] [--clients 50] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
FAULTS = [
    {"kind": "slow", "seconds": 5},
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 429, "retry_after": "5"},
    {"kind": "drip", "seconds": 0.5},
    {"kind": "html"},
    {"kind": "reset"},
    {"kind": "malformed_json"},
    {"kind": "unauthorized", "captcha": True},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"not ready after {timeout}s: {url}")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def rotate_faults(sim: str, names: list[str], stop: asyncio.Event) -> int:
    """Every second, move a fault to the next instance of the faulty quarter."""
    injected = 0
    async with httpx.AsyncClient(timeout=5) as client:
        for name, fault in zip(itertools.cycle(names), itertools.cycle(FAULTS)):
            if stop.is_set():
                break
            await client.post(f"{sim}/-/sim/{name}/fault", json=fault)
            injected += 1
            await asyncio.sleep(1)
        for name in names:
            await client.post(f"{sim}/-/sim/{name}/fault", json={})
    return injected


async def drive(url: str, clients: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.get(url)
                    ok = (
                        response.status_code == 200
                        and b"atlassian_license_sync_up" in response.content
                    )
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, errors


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else values[0]


async def main_async(
    args: argparse.Namespace, sim: str, exporter_url: str
) -> tuple[list[float], int, int]:
    names = [f"app-{i:04d}" for i in range(args.apps)]
    stop = asyncio.Event()
    rotation = asyncio.create_task(rotate_faults(sim, names[: args.apps // 4], stop))
    latencies, errors = await drive(f"{exporter_url}/metrics", args.clients, args.seconds)
    stop.set()
    injected = await rotation
    return latencies, errors, injected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--sync-interval",
        default="1m",
        help="the applications' sync_interval (default 1m: 3+ syncs a second)",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="load-"))
    sim_port, exp_port = free_port(), free_port()
    sim = f"http://127.0.0.1:{sim_port}"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exporter.simulator",
                "--listen",
                f"127.0.0.1:{sim_port}",
                "--instances",
                str(args.apps),
                "--latency",
                "50ms",
                "--log.level",
                "warning",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "sim.log").open("w"),
        )
    ]
    try:
        wait_ready(f"{sim}/-/sim/instances", 60)
        instances = httpx.get(f"{sim}/-/sim/instances", timeout=10).json()
        instances = (
            instances.get("instances", instances) if isinstance(instances, dict) else instances
        )
        apps = [
            {
                "name": i["name"],
                "type": i["type"],
                "link": {
                    "url": f"{sim}/{i['name']}",
                    "basic_auth": {"username": i["username"], "password": i["password"]},
                },
            }
            for i in instances
        ]
        config = tmp / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"sync_interval": args.sync_interval, "timeout": "2s"},
                    "applications": apps,
                }
            )
        )
        exporter = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exporter",
                "--config.file",
                str(config),
                "--web.listen-address",
                f"127.0.0.1:{exp_port}",
                "--log.level",
                "error",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(tmp / "exporter.log").open("w"),
        )
        procs.append(exporter)
        exporter_url = f"http://127.0.0.1:{exp_port}"
        wait_ready(f"{exporter_url}/-/ready", 120)
        latencies, errors, injected = asyncio.run(main_async(args, sim, exporter_url))
        alive = exporter.poll() is None
        rss = peak_rss_mib(exporter.pid)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                print(f"process {proc.pid} ignored SIGTERM for 10 s; killed", file=sys.stderr)
                proc.kill()
                proc.wait()
    ms = [v * 1000 for v in latencies]
    p99 = percentile(ms, 0.99)
    rows = [
        ("applications", f"{args.apps}"),
        ("concurrent clients", f"{args.clients}"),
        ("duration", f"{args.seconds:g} s"),
        ("sync interval", args.sync_interval),
        ("faults injected", f"{injected} (rotating over {args.apps // 4} apps)"),
        ("requests", f"{len(ms)}"),
        ("errors", f"{errors}"),
        ("requests/s", f"{len(ms) / args.seconds:.0f}"),
        ("latency p50", f"{percentile(ms, 0.50):.1f} ms"),
        ("latency p90", f"{percentile(ms, 0.90):.1f} ms"),
        ("latency p99", f"{p99:.1f} ms"),
        ("latency max", f"{max(ms):.1f} ms"),
        ("exporter peak RSS", f"{rss:.1f} MiB"),
        ("exporter alive", f"{alive}"),
    ]
    print("| load test | value |\n|---|---|")
    for key, value in rows:
        print(f"| {key} | {value} |")
    goal = errors == 0 and alive and p99 < 100
    print(f"goal (no error, p99 < 100 ms, {args.apps} applications): {'met' if goal else 'MISSED'}")
    return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
