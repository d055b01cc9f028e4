"""Slowloris against the exporter CLI (--demo) under systemd's default of 1,024 descriptors:
an attacker keeps N connections that never finish their headers (reconnecting whenever one is
closed) while a normal client asks /metrics every 100 ms.

    .venv/bin/python bench/slowloris.py [--tree DIR] [--connections 1100] [--seconds 20]

--tree runs another checkout's code (e.g. the unfixed main) for a before/after figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.procs import HOST, ROOT, free_port, http_get, wait_until

PARTIAL = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


async def attacker(
    port: int, count: int, stop: asyncio.Event, opened: list[int], reconnect: bool
) -> None:
    async def one() -> None:
        first = True
        while not stop.is_set() and (first or reconnect):
            first = False
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
                writer.write(PARTIAL)
                opened[0] += 1
                await reader.read()  # until the server closes it
                writer.close()
            except OSError:
                await asyncio.sleep(0.05)
        await stop.wait()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def client(port: int, seconds: float) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            status, _ = await asyncio.to_thread(http_get, port, "/metrics", 2.0)
            if status == 200:
                latencies.append(time.monotonic() - start)
            else:
                failures += 1
        except OSError:
            failures += 1
        await asyncio.sleep(0.1)
    return latencies, failures


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--reconnect", action="store_true", help="reopen each connection the server closes"
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the attacker needs descriptors
    port = free_port()
    log = Path(tempfile.mkdtemp()) / "exporter.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "exporter", "--demo", f"--web.listen-address={HOST}:{port}"],
            env={**os.environ, "PYTHONPATH": str(args.tree)},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_limit,
            cwd=args.tree,  # -m puts the working directory first on sys.path
        )
    try:
        wait_until(lambda: http_get(port, "/-/ready")[0] == 200, 60, "exporter ready")
        before = descriptors(proc.pid)
        stop, opened = asyncio.Event(), [0]
        attack = asyncio.create_task(attacker(port, args.connections, stop, opened, args.reconnect))
        await asyncio.sleep(2)  # let the connections pile up
        peak = [descriptors(proc.pid)]

        async def sample() -> None:
            while not stop.is_set():
                peak.append(descriptors(proc.pid))
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample())
        latencies, failures = await client(port, args.seconds)
        stop.set()
        await asyncio.gather(attack, sampler)
        status, body = http_get(port, "/metrics")
        ups = [
            line
            for line in body.decode().splitlines()
            if line.startswith("atlassian_license_sync_up{")
        ]
    finally:
        proc.terminate()
        proc.wait(10)
    answered = len(latencies)
    print(
        f"tree={args.tree} connections={args.connections} seconds={args.seconds:g} "
        f"reconnect={args.reconnect}"
    )
    print(f"exporter descriptors: before={before} max during attack={max(peak)} (limit 1024)")
    print(f"attacker connections opened={opened[0]}")
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"/metrics answered={answered} failed={failures} "
            f"p50={statistics.median(ordered) * 1000:.1f}ms p99={p99 * 1000:.1f}ms "
            f"max={ordered[-1] * 1000:.1f}ms"
        )
    else:
        print(f"/metrics answered=0 failed={failures}")
    up = sum(line.endswith(" 1.0") for line in ups)
    print(f"after: /metrics status={status} sync_up lines={len(ups)} up={up}")
    print(f"log bytes={log.stat().st_size} lines={len(log.read_bytes().splitlines())}")
    _ = soft


if __name__ == "__main__":
    asyncio.run(main())
