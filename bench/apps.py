"""The cost of one Marketplace apps sync (#17): extra requests and wall time for N apps.

The real source (exporter.sources.upm.fetch) through the exporter's own client (build_client,
LinkClient: its pool limits, deadline and body cap) against one simulated Jira with N paid
apps and 72 system plugins, over loopback. The simulator runs in this process; its `latency`
adds a fixed delay to every response, to stand in for a real server's network and UPM time.

Run: `.venv/bin/python -m bench.apps` (about 20 s; `--apps 50 --runs 5 --latency-ms 0,20,50`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.measure import table
from exporter.apptypes.jira import JiraApplication
from exporter.config.models import Link
from exporter.simulator import SimInstance, SimProduct, Simulator
from exporter.simulator.apps import many_apps
from exporter.sources import upm
from exporter.sources.http import LinkClient, SSLContexts, build_client

HOST_LIMIT = 500
SYSTEM_PLUGINS = 72


async def measure(apps: int, runs: int, latency: float) -> tuple[int, list[float]]:
    """(requests per sync, wall seconds of each run)."""
    now = time.time()
    instance = SimInstance(
        "jira-bench",
        "jira",
        [SimProduct("jira-software", HOST_LIMIT, 400)],
        apps=many_apps(apps, HOST_LIMIT, now),
        system_plugins=SYSTEM_PLUGINS,
    )
    sim = Simulator([instance], latency=latency)
    await sim.start()
    link = Link.model_validate(
        {"url": sim.url("jira-bench"), "basic_auth": {"username": "admin", "password": "admin"}}
    )
    app = JiraApplication(name="jira-bench", type="jira", link=link)
    http = build_client(link, SSLContexts(), 30.0)
    client = LinkClient(http, link, 30.0, 10 * 2**20)
    walls = []
    try:
        await upm.fetch(client, app)  # warms the connection
        for _ in range(runs):
            sim.reset_requests()
            started = time.perf_counter()
            snapshot = await upm.fetch(client, app)
            walls.append(time.perf_counter() - started)
            assert len(snapshot.apps) == apps
        requests = sim.count("jira-bench")
    finally:
        await http.aclose()
        await sim.stop()
    return requests, walls


async def main(apps: int, runs: int, latencies: list[float]) -> None:
    rows = []
    for latency in latencies:
        requests, walls = await measure(apps, runs, latency)
        median = statistics.median(walls)
        rows.append(
            [
                apps,
                f"{latency * 1000:g}",
                requests,
                f"{median:.3f}",
                f"{min(walls):.3f}",
                f"{max(walls):.3f}",
                f"{median / requests * 1000:.1f}",
            ]
        )
    header = (
        "apps | added latency, ms | requests per sync | wall median, s | min | max | ms per request"
    )
    print("\n".join(table(header, rows)))


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", default="0,20,50")
    args = parser.parse_args()
    latencies = [float(v) / 1000 for v in args.latency_ms.split(",")]
    asyncio.run(main(args.apps, args.runs, latencies))


if __name__ == "__main__":
    cli()
