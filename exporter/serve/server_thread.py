"""Serving HTTP from a thread and event loop of their own, next to the home loop that syncs.

Why: see home.py. The thread only runs aiohttp (accepting, reading requests, writing bodies
that are already rendered); what needs the exporter's state is handed to the home loop.
Python runs one thread at a time, but a thread waiting for the interpreter gets it within
the switch interval, not after a whole iteration of the home loop's jobs. An identity body of
20 MiB (10,000 applications) leaves in some hundred sends, and after each one the serving
thread waits for the interpreter again: at CPython's default interval (5 ms) that was 1.3 s
per scrape while the first sync ran (issue #15), so the thread serves with SWITCH_INTERVAL.
The interval only matters while two threads want the interpreter: the serving thread is
idle between requests.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web

from exporter.serve.web import serve

log = logging.getLogger(__name__)
T = TypeVar("T")
SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005


class ServingThread:
    """`await start(app, host, port)` serves `app` (see web.serve) until `await stop()`; both
    are called from the home loop. A failure to listen (port taken, bad TLS material) is
    raised by start() as serve() raises it, and the thread is gone again."""

    def __init__(self, name: str = "serve") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._runner: web.AppRunner | None = None
        self._interval = sys.getswitchinterval()  # restored when the thread ends

    async def start(
        self,
        app: web.Application,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
    ) -> web.AppRunner:
        sys.setswitchinterval(min(SWITCH_INTERVAL, self._interval))
        self._thread.start()
        try:
            self._runner = await self._there(serve(app, host, port, ssl_context))
        except BaseException:
            await self._halt()
            raise
        return self._runner

    async def stop(self) -> None:
        """Stops listening, lets requests in flight finish (web.serve's shutdown_timeout),
        then ends the thread."""
        if not self._thread.is_alive():
            return
        try:
            if self._runner is not None:
                await self._there(self._runner.cleanup())
        finally:
            await self._halt()

    async def _there(self, work: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    async def _halt(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        sys.setswitchinterval(self._interval)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        except Exception:  # a bug: logged, and the process goes on syncing
            log.exception("serving thread failed")
        finally:
            self._loop.close()
