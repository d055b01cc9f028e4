"""The scrape reference, and the bench's one reading of an exposition.

The reference is the exporter's samples as plain prometheus_client metrics: every family
becomes a `Gauge` (a `Counter` for the counter family) with the same name, HELP, label
names, label values and values, on a private registry. As a process, it serves them through
the exporter's own aiohttp app and handler:

    python -m bench.reference SAMPLES.json 127.0.0.1:PORT

/metrics renders the Gauge registry on every request (what an exporter without a cache does:
a middleware tells the app's per-state cache that the state changed); /cached serves the same
exposition rendered once at start-up, through the same stack: what a cache hit costs.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.config.load import parse_config
from exporter.config.targets import resolve
from exporter.serve.web import make_app, serve, wait_forever
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime

Families = list[dict[str, Any]]
# An empty family needs some label name, or a Gauge would expose a default 0 sample.
_EMPTY_LABELS = ["application"]


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """(labels, value) of the samples called `name` in a text exposition."""
    parsed = text_string_to_metric_families(text)
    return [(s.labels, s.value) for family in parsed for s in family.samples if s.name == name]


def families_from_exposition(text: str) -> Families:
    """Label names come from the samples themselves (the union, in order of appearance)."""
    out: Families = []
    for family in text_string_to_metric_families(text):
        names = list(dict.fromkeys(k for s in family.samples for k in s.labels))
        names = names if family.samples else _EMPTY_LABELS
        samples = [[[s.labels.get(k, "") for k in names], s.value] for s in family.samples]
        out.append({"name": family.name, "type": family.type, "help": family.documentation,
                    "labelnames": names, "samples": samples})  # fmt: skip
    return out


def build_registry(families: Families) -> CollectorRegistry:
    disable_created_metrics()  # type: ignore[no-untyped-call]  # no _created samples, as ours
    registry = CollectorRegistry()
    for family in families:
        names = family["labelnames"]
        cls = Counter if family["type"] == "counter" else Gauge
        metric = cls(family["name"], family["help"], names, registry=registry)
        for values, value in family["samples"]:
            child = metric.labels(*values) if names else metric
            if isinstance(child, Counter):
                child.inc(value)
            else:
                child.set(value)
    return registry


def sample_lines(exposition: bytes) -> list[str]:
    return sorted(
        line for line in exposition.decode().splitlines() if line and not line.startswith("#")
    )


async def serve_reference(samples: Path, listen: str) -> None:
    registry = build_registry(json.loads(samples.read_text()))
    runtime = Runtime(Poller(resolve(parse_config({}))), None)
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
    asyncio.run(serve_reference(Path(sys.argv[1]), sys.argv[2]))
