"""The reference /metrics server: the exporter's own aiohttp app and handler, serving plain
prometheus_client Gauges instead of the LicenseCollector.

    python bench/refserver.py SAMPLES.json 127.0.0.1:PORT

/metrics renders the Gauge registry on every request (what an exporter without a cache does:
a middleware tells the app's per-state cache that the state changed); /cached serves the same
exposition rendered once at start-up, through the same stack: what a cache hit costs.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

# Appended, not prepended: the exporter comes from PYTHONPATH (the run's snapshot) if set.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bench.reference import build_registry
from exporter.config.load import parse_config
from exporter.serve.web import make_app, serve, wait_forever
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime


async def main(samples: Path, listen: str) -> None:
    registry = build_registry(json.loads(samples.read_text()))
    runtime = Runtime(Poller(parse_config({})), None)
    app = make_app(runtime, registry)

    @web.middleware
    async def render_every_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        runtime.poller.touch()
        return await handler(request)

    app.middlewares.append(render_every_time)
    cached = generate_latest(registry)

    async def serve_cached(request: web.Request) -> web.Response:
        response = web.Response(body=cached, headers={"Content-Type": CONTENT_TYPE_LATEST})
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            response.enable_compression()  # per request, as the reference /metrics does
        return response

    app.router.add_get("/cached", serve_cached)
    host, _, port = listen.rpartition(":")
    runner = await serve(app, host, int(port))
    try:
        await wait_forever()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
