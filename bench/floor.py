"""The sweep's floor, in a process of its own: the exporter's requests replayed bare.

    python -m bench.floor REQUESTS.json CONCURRENCY [httpx|aiohttp]

REQUESTS.json (written by bench/sweep.py from the simulator's request log of the exporter's
run) lists per application its URL, login and rounds of request targets (path and query);
requests of one round went out together. The floor replays them: CONCURRENCY applications at
a time, one long-lived httpx.AsyncClient per application (the exporter's pool limits, one
shared SSLContext), no parsing; `aiohttp` makes them httpx-aiohttp's HttpxAiohttpClient
(httpx's API over aiohttp's I/O; a what-if, installed by hand). Prints one JSON line: wall
and CPU of the replay, requests, unexpected statuses, peak RSS.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.procs import memory_kib

LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)


async def replay(
    apps: list[dict[str, Any]], concurrency: int, transport: str = "httpx"
) -> dict[str, float]:
    context = ssl.create_default_context()  # shared, built before the timed part
    make: Any = httpx.AsyncClient
    if transport == "aiohttp":  # a what-if: httpx's API over aiohttp's I/O (httpx-aiohttp)
        import httpx_aiohttp  # type: ignore[import-not-found]  # not a dependency

        make = httpx_aiohttp.HttpxAiohttpClient
    semaphore = asyncio.Semaphore(concurrency)
    clients: list[httpx.AsyncClient] = []
    failed = requests = 0

    async def get(client: httpx.AsyncClient, url: str) -> None:
        nonlocal failed, requests
        response = await client.get(url)
        requests += 1
        failed += response.status_code not in (200, 404)

    async def one(app: dict[str, Any]) -> None:
        async with semaphore:
            auth = (app["username"], app["password"])
            client = make(auth=auth, verify=context, limits=LIMITS, timeout=30)
            clients.append(client)
            for targets in app["rounds"]:
                await asyncio.gather(*(get(client, app["url"] + t) for t in targets))

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(app) for app in apps))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for client in clients:
        await client.aclose()
    hwm = memory_kib()["VmHWM"]
    return {"wall": wall, "cpu": cpu, "requests": requests, "failed": failed, "hwm_kib": hwm}


def main() -> int:
    apps = json.loads(Path(sys.argv[1]).read_text())
    transport = sys.argv[3] if len(sys.argv) > 3 else "httpx"
    print(json.dumps(asyncio.run(replay(apps, int(sys.argv[2]), transport))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
