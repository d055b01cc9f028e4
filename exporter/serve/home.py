"""The event loop that owns the exporter's state, as seen from the serving thread.

At thousands of applications the first sync keeps its event loop busy: 128 jobs runnable at
once, 5-7 ms of CPU per application (issue #15). A scrape served on that loop waits behind a
whole iteration of those jobs at each of its steps (read the request, answer, each few MiB of
a 20 MiB body), so /metrics answered in 330 ms at 10,000 applications although its body was
already rendered. The CLI therefore serves HTTP from a thread of its own (server_thread.py)
and leaves the poller, its states and the renders on the home loop.

Everything that reads or changes that state runs on the home loop, never in the serving
thread: a render, the status page and readiness (they walk the states, which a sync on the
home loop replaces meanwhile), and a reload (Runtime's lock belongs to that loop). The
serving thread only hands such work over and waits for it; what it does itself is reading
finished bodies and writing them out (see Exposition.served).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class Home:
    """`loop` None: the state lives on whichever loop serves, so everything runs in place
    (an app served on its own loop, as the tests and an embedding do)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    @classmethod
    def current(cls) -> Home:
        """The running loop as home: what the CLI's main coroutine calls."""
        return cls(asyncio.get_running_loop())

    def here(self) -> bool:
        """Whether the caller runs on the home loop itself."""
        if self._loop is None:
            return True
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:  # no loop running in this thread
            return False

    async def run(self, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """`await work()` on the home loop. Cancelling the caller (a scrape whose client went
        away) cancels the work there too."""
        if self._loop is None or self.here():
            return await work()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work(), self._loop))

    def submit(self, function: Callable[[], T]) -> asyncio.Future[T]:
        """`function()` on the home loop (synchronous work: a render, the status page), as a
        future of the calling loop, for a caller that may stop waiting for it."""

        async def work() -> T:
            return function()

        return asyncio.ensure_future(self.run(work))

    async def call(self, function: Callable[[], T]) -> T:
        """`function()` on the home loop, waited for."""
        return await self.submit(function)

    def soon(self, function: Callable[..., Any], *args: Any) -> None:
        """`function(*args)` on the home loop, without waiting for it."""
        if self._loop is None or self.here():
            function(*args)
        else:
            self._loop.call_soon_threadsafe(function, *args)
