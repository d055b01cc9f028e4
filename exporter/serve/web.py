"""HTTP endpoints: /metrics, the status page, health, readiness and reload."""

from __future__ import annotations

import asyncio
import logging
import ssl

from aiohttp import web
from aiohttp.log import server_logger
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CollectorRegistry

from exporter.config.load import ConfigError
from exporter.config.webconfig import BasicAuth, WebConfig
from exporter.serve.exposition import Exposition, accepts_gzip, negotiate
from exporter.serve.guard import HEADER_TIMEOUT, Guard, GuardedSite, RequestLog
from exporter.serve.home import Home
from exporter.serve.render import Renderer, pieces, registry_renderer
from exporter.serve.status_page import render_status_page
from exporter.sync.runtime import Runtime

log = logging.getLogger(__name__)


RUNTIME: web.AppKey[Runtime] = web.AppKey("runtime", Runtime)
EXPOSITION: web.AppKey[Exposition] = web.AppKey("exposition", Exposition)
REGISTRY: web.AppKey[CollectorRegistry] = web.AppKey("registry", CollectorRegistry)
# The loop that owns the runtime's state; handlers that read or change it run there (home.py).
HOME: web.AppKey[Home] = web.AppKey("home", Home)
# Nothing we serve accepts a body beyond a tiny reload POST.
MAX_REQUEST_BODY = 64 * 1024
# A body's parts (a few KiB each) are written joined into pieces of this size. A write per
# part cost a thread switch per part while the home loop is busy (up to 5 ms each, see
# server_thread.py); of one write of the whole body, what the socket does not take at once is
# copied into asyncio's buffer (18 MiB at 10,000 applications, for each scrape in flight).
WRITE_SIZE = 256 * 1024


async def metrics(request: web.Request) -> web.StreamResponse:
    encoder, content_type = negotiate(request.headers.get("Accept", ""))
    gzipped = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    parts = await request.app[EXPOSITION].served(encoder, content_type, gzipped=gzipped)
    headers = {"Content-Type": content_type, "Vary": "Accept, Accept-Encoding"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    if len(parts) == 1:
        return web.Response(body=parts[0], headers=headers)
    # Sent piece by piece: joining the parts would copy the whole body (20 MiB at 10,000 apps).
    response = web.StreamResponse(headers=headers)
    response.content_length = sum(len(part) for part in parts)
    await response.prepare(request)
    for piece in pieces(parts, WRITE_SIZE):
        await response.write(piece)
    await response.write_eof()
    return response


async def status(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    html = await request.app[HOME].call(lambda: render_status_page(runtime))
    return web.Response(text=html, content_type="text/html", charset="utf-8")


async def healthy(request: web.Request) -> web.Response:
    return web.Response(text="Healthy.\n")


async def ready(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    waiting = await request.app[HOME].call(lambda: _waiting(runtime))
    if not waiting:
        return web.Response(text="Ready.\n")
    return web.Response(
        status=503, text=f"Not ready: {waiting} application(s) before their first sync.\n"
    )


def _waiting(runtime: Runtime) -> int:
    """Applications before their first sync (0: ready)."""
    poller = runtime.poller
    if poller.ready():
        return 0
    return sum(1 for s in poller.states.values() if s.sync.up is None)


async def reload(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    if not runtime.lifecycle:
        return web.Response(
            status=403, text="Lifecycle API is not enabled (--web.enable-lifecycle).\n"
        )
    try:
        await request.app[HOME].run(runtime.reload)
    except ConfigError as exc:
        return web.Response(status=500, text=f"failed to reload config: {exc}\n")
    return web.Response(text="Reloaded.\n")


@web.middleware
async def limit_body(request: web.Request, handler: Handler) -> web.StreamResponse:
    # client_max_size only applies when a handler reads the body; refuse large ones up front.
    if (request.content_length or 0) > MAX_REQUEST_BODY:
        return web.Response(status=413, text="Request body too large.\n")
    return await handler(request)


def make_app(
    runtime: Runtime,
    registry: CollectorRegistry,
    web_config: WebConfig | None = None,
    renderer: Renderer | None = None,
    live: CollectorRegistry | None = None,
    home: Home | None = None,
) -> web.Application:
    """`renderer` renders /metrics (exposition.IncrementalRenderer for the exporter's own
    registry); without one, prometheus_client renders `registry` in full each time. `live`
    (exposition.live_registry: process metrics) is rendered at every scrape and appended.
    `home`: the loop that owns `runtime` when the app is served from another thread
    (server_thread.py); by default the app is served on the loop that owns it."""
    home = home or Home()
    middlewares: list[Middleware] = [limit_body]
    if web_config is not None and web_config.basic_auth_users:
        middlewares.insert(0, BasicAuth(web_config.basic_auth_users).middleware)
    app = web.Application(client_max_size=MAX_REQUEST_BODY, middlewares=middlewares)
    app[RUNTIME] = runtime
    app[REGISTRY] = registry
    app[HOME] = home
    app[EXPOSITION] = Exposition(
        renderer or registry_renderer(registry),
        lambda: runtime.poller.generation,
        live=live,
        epoch=lambda: runtime.poller.epoch,
        home=home,
    )
    app.router.add_get("/", status)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", ready)
    app.router.add_post("/-/reload", reload)
    app.router.add_put("/-/reload", reload)
    return app


async def serve(
    app: web.Application,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
    *,
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int | None = None,
) -> web.AppRunner:
    """Serves `app`; each request's headers must arrive within `header_timeout`, and at most
    `max_connections` are open (default: half the descriptor limit, see guard.py)."""
    guard = Guard(header_timeout, max_connections)
    app.middlewares.insert(0, guard.middleware)
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(guard.exception_handler(loop.get_exception_handler()))
    # Small header limits: nothing legitimate sends large requests to an exporter.
    runner = web.AppRunner(
        app,
        access_log=None,
        # Handlers answer in milliseconds; don't let shutdown wait a minute for a stuck client.
        shutdown_timeout=2.0,
        handler_cancellation=True,
        max_line_size=8190,
        max_field_size=8190,
        logger=RequestLog(server_logger, loop.time),
    )
    await runner.setup()
    site = GuardedSite(
        runner, guard, host or None, port, reuse_address=True, ssl_context=ssl_context
    )
    await site.start()
    return runner


async def wait_forever() -> None:
    await asyncio.Event().wait()
