"""The /metrics body: rendered once per state change, formatted per application only when it
changed, compressed once per body; the exporter's own process metrics appended per scrape.

The lines come from serve/render.py (IncrementalRenderer); this module keeps the rendered
bodies per format, decides when to render again, compresses, and adds the live part. A body
is kept as the renderer's parts (render.Parts), never joined: the parts are the renderer's
blocks themselves, so a joined copy would double the body's memory (20 MiB at 10,000
applications), and gzip reads them one after the other just as well.

The process, platform and GC collectors (`live_registry`) change at every scrape, so they stay
out of that cache: their few lines are rendered for each scrape (at most once a second, see
LIVE_MAX_AGE) and go after the cached part, as they would in one registry that registered
them after the license collector. For gzip, the cached part's compressor is kept and copied
to compress each new live part, so the answer is one ordinary gzip member without the
cached part being compressed again (a member per part would be valid RFC 1952 too, but not
every client reads past the first member).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.exposition import choose_encoder

from exporter.serve.home import Home
from exporter.serve.render import (
    MAX_FORMATS,
    Encoder,
    IncrementalRenderer,
    Parts,
    Renderer,
    pieces,
    trailer_of,
)

log = logging.getLogger(__name__)

# What a scrape sends, one after the other: a body's parts (or a view of them) and a live tail.
Answer = tuple[bytes | memoryview, ...]
# Level 6 (gzip's default) takes twice as long as level 1 for a body 15-20 % smaller (7 ms vs
# 16 ms for 1000 applications); it is paid once per state change, and with 1000 applications
# several changes a second are common.
GZIP_LEVEL = 1
DEFLATE_SIZE = 1024 * 1024  # see _deflate


def live_registry() -> CollectorRegistry:
    """client_python's process_*, python_info and python_gc_* collectors, on a registry of
    their own (never the global REGISTRY, which other code could fill)."""
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


@dataclass
class _Body:
    generation: int
    rendered_at: float
    identity: Parts
    epoch: int = 0  # the poller's configuration epoch it was rendered in
    cost: float = 0.0  # seconds its render and compression took (on `monotonic`)
    gzipped: bytes | None = None
    # With live metrics: the gzip output of the cached part without its trailer so far, the
    # compressor that wrote it (copied to add each live part), and the latest live part with
    # the gzip answer built on it (the identity answer is sent as the cached part and the tail).
    gzip_head: bytes = b""
    compressor: zlib._Compress | None = None
    live_at: float = -math.inf
    tail: bytes = b""
    full: bytes | None = None  # the joined identity answer, once get() asked for it
    # What follows gzip_head in the gzip answer: the live tail compressed, the gzip trailer.
    # Sent after gzip_head, never joined to it (a second copy of the compressed body, 2.5 MiB
    # at 10,000 applications).
    gzip_tail: bytes | None = None


class Exposition:
    """The rendered body per format, kept until the poller's state changes (or MAX_AGE passes,
    for what depends on the clock alone, such as dropping stale values), and its gzip once
    asked for: concurrent scrapes and HA Prometheus pairs would otherwise each pay for
    identical output.
    """

    MAX_AGE = 5.0
    # The live part is rendered again at most this often: a real scrape interval is longer,
    # so each scrape still gets fresh values, but concurrent scrapes and a load test share
    # one rendering (0.3 ms: reading /proc and the GC counters, then 0.1 ms of gzip).
    LIVE_MAX_AGE = 1.0
    COALESCE = 10.0
    MAX_COALESCE = 2.0
    # Renders costing more are done in the background by served() (about 1,000 applications).
    BACKGROUND_COST = 0.02
    # How long a scrape from the serving thread waits for a cheap render on the home loop.
    HOME_WAIT = 0.05

    def __init__(
        self,
        render: Renderer,
        generation: Callable[[], int],
        monotonic: Callable[[], float] = time.monotonic,
        live: CollectorRegistry | None = None,
        epoch: Callable[[], int] = lambda: 0,
        home: Home | None = None,
    ) -> None:
        """`live` is rendered for each scrape (at most once per LIVE_MAX_AGE) and appended
        (see live_registry). A change of `epoch` (a reload, applied or refused) renders again
        at once, never coalesced: an operator checks /metrics right after a reload. `home`:
        the loop that owns the state `render` reads, when served() is called from another
        one (the serving thread, see home.py); renders then run on it."""
        self._home = home
        self._render = render
        self._generation = generation
        self._epoch = epoch
        self._monotonic = monotonic
        self._live = live
        self._bodies: OrderedDict[str, _Body] = OrderedDict()  # at most MAX_FORMATS
        self._refreshing: dict[str, asyncio.Future[None]] = {}

    def get(self, encoder: Encoder, content_type: str, *, gzipped: bool = False) -> bytes:
        """The whole answer as one bytes object, joined once per live part (web.metrics
        sends `parts` instead, without the copy)."""
        parts = self.parts(encoder, content_type, gzipped=gzipped)
        if len(parts) == 1 and isinstance(parts[0], bytes):
            return parts[0]
        if gzipped:
            return b"".join(parts)
        body = self._bodies[content_type]
        if body.full is None:
            body.full = b"".join(parts)
        return body.full

    def parts(self, encoder: Encoder, content_type: str, *, gzipped: bool = False) -> Answer:
        """The answer as the parts to send one after the other: the identity body is the
        rendered body's parts (with live metrics: without its trailer, then the live tail),
        the gzip body one part (with live metrics: the cached part's, then the tail's)."""
        body = self._current(encoder, content_type)
        return self._answer(body, encoder, gzipped, self._monotonic())

    def _current(self, encoder: Encoder, content_type: str) -> _Body:
        """The cached body, rendered again first if it is outdated."""
        generation, now = self._generation(), self._monotonic()
        body = self._bodies.get(content_type)
        if body is None or self._outdated(body, generation, now):
            body = _Body(generation, now, self._parts(encoder, content_type), self._epoch())
            body.cost = self._monotonic() - now
            self._bodies[content_type] = body
            while len(self._bodies) > MAX_FORMATS:
                self._bodies.popitem(last=False)
        self._bodies.move_to_end(content_type)
        return body

    def _parts(self, encoder: Encoder, content_type: str) -> Parts:
        if isinstance(self._render, IncrementalRenderer):
            return self._render.parts(encoder, content_type)
        return (self._render(encoder, content_type),)

    async def _parts_async(self, encoder: Encoder, content_type: str) -> Parts:
        """_parts, letting the home loop run between the renderer's steps."""
        if isinstance(self._render, IncrementalRenderer):
            return await self._render.parts_async(encoder, content_type)
        return self._parts(encoder, content_type)

    async def served(self, encoder: Encoder, content_type: str, *, gzipped: bool = False) -> Answer:
        """What /metrics sends: parts(), except that once a render costs more than
        BACKGROUND_COST (thousands of applications), an outdated body is served while the
        next one is rendered in a task and compressed in a worker thread (zlib releases the
        GIL). A scrape then waits for neither; the data it gets is at most one render older.

        Called from another loop than `home` (the serving thread), a cheap body is rendered
        on the home loop and an expensive one is answered at once while the home loop renders
        the next; the answer itself (live part, gzip of it) is put together here, so a body
        is only ever read by the home loop and only ever completed by the serving thread.
        """
        if self._home is not None and not self._home.here():
            return await self._served_away(self._home, encoder, content_type, gzipped)
        body = self._bodies.get(content_type)
        if body is None or body.cost < self.BACKGROUND_COST:
            return self.parts(encoder, content_type, gzipped=gzipped)
        generation, now = self._generation(), self._monotonic()
        if self._outdated(body, generation, now) and content_type not in self._refreshing:
            self._refreshing[content_type] = asyncio.ensure_future(
                self._refresh(encoder, content_type, generation, self._epoch())
            )
        self._bodies.move_to_end(content_type)
        return self._answer(body, encoder, gzipped, now)

    async def _served_away(
        self, home: Home, encoder: Encoder, content_type: str, gzipped: bool
    ) -> Answer:
        body = self._bodies.get(content_type)  # one dict read: atomic, whichever thread writes
        if body is None:
            body = await home.call(lambda: self._current(encoder, content_type))
        elif self._outdated(body, self._generation(), self._monotonic()):
            if body.cost >= self.BACKGROUND_COST:
                home.soon(self._refresh_soon, encoder, content_type)
            else:
                # A cheap render is waited for, so a scrape right after a sync or a reload
                # sees it, but only HOME_WAIT: while the first sync of thousands of
                # applications keeps the home loop busy the body is still small, and an
                # iteration of that loop took over a second at 10,000. The render goes on
                # there and is served next time.
                fresh = home.submit(lambda: self._current(encoder, content_type))
                fresh.add_done_callback(_retrieved)
                with contextlib.suppress(TimeoutError):
                    body = await asyncio.wait_for(asyncio.shield(fresh), self.HOME_WAIT)
        return self._answer(body, encoder, gzipped, self._monotonic())

    def _refresh_soon(self, encoder: Encoder, content_type: str) -> None:
        """On the home loop: start the render a scrape from elsewhere found due, unless one
        runs (several scrapes may ask before it started) or another made it current."""
        body = self._bodies.get(content_type)
        if body is None or content_type in self._refreshing:
            return
        generation = self._generation()
        if self._outdated(body, generation, self._monotonic()):
            self._refreshing[content_type] = asyncio.ensure_future(
                self._refresh(encoder, content_type, generation, self._epoch())
            )
        self._bodies.move_to_end(content_type)

    async def _refresh(
        self, encoder: Encoder, content_type: str, generation: int, epoch: int
    ) -> None:
        try:
            old = self._bodies.get(content_type)
            started = self._monotonic()
            identity = await self._parts_async(encoder, content_type)
            body = _Body(generation, started, identity, epoch)
            # The wall time (with what ran between its steps); a compression thread's is not.
            body.cost = self._monotonic() - started
            if old is not None and (old.gzipped is not None or old.compressor is not None):
                loop = asyncio.get_running_loop()
                if self._live is None:
                    body.gzipped = await loop.run_in_executor(None, _gzip, body.identity)
                else:
                    head = _without(body.identity, trailer_of(encoder))
                    compressor = _compressor()
                    body.gzip_head = await loop.run_in_executor(None, _deflate, compressor, head)
                    body.compressor = compressor
            self._bodies[content_type] = body
            while len(self._bodies) > MAX_FORMATS:
                self._bodies.popitem(last=False)
        except Exception:
            # The next scrape renders again (and answers 500 if that fails, as parts() does).
            log.exception("rendering /metrics failed content_type=%s", content_type)
            self._bodies.pop(content_type, None)
        finally:
            self._refreshing.pop(content_type, None)

    def _answer(self, body: _Body, encoder: Encoder, gzipped: bool, now: float) -> Answer:
        if self._live is not None:
            return self._with_live(body, encoder, gzipped, now)
        if not gzipped:
            return body.identity
        if body.gzipped is None:
            started = self._monotonic()
            body.gzipped = _gzip(body.identity)
            body.cost += self._monotonic() - started
        return (body.gzipped,)

    def _outdated(self, body: _Body, generation: int, now: float) -> bool:
        """Render again after a state change, but not sooner than COALESCE times what the
        last render cost: at 10,000 applications a sync ends every few milliseconds and a
        render costs tens of them, so rendering at every change would keep the event loop
        (the syncs, every other scrape) busy rendering. Data is then at most
        MAX_COALESCE seconds older than the last sync, far less than a scrape interval."""
        age = now - body.rendered_at
        if age >= self.MAX_AGE or body.epoch != self._epoch():
            return True
        return body.generation != generation and age >= min(
            self.COALESCE * body.cost, self.MAX_COALESCE
        )

    def _with_live(self, body: _Body, encoder: Encoder, gzipped: bool, now: float) -> Answer:
        assert self._live is not None
        trailer = trailer_of(encoder)
        head = _without(body.identity, trailer)
        if now - body.live_at >= self.LIVE_MAX_AGE:
            # The live registry's own trailer is dropped: one "# EOF", at the very end.
            body.tail = encoder(self._live).removesuffix(trailer) + trailer
            body.live_at, body.full, body.gzip_tail = now, None, None
        if not gzipped:
            return (*head, body.tail)
        if body.gzip_tail is None:
            if body.compressor is None:
                started = self._monotonic()
                body.compressor = _compressor()
                body.gzip_head = _deflate(body.compressor, head)
                body.cost += self._monotonic() - started
            # copy() leaves the cached compressor where the head ended, for the next tail.
            finishing = body.compressor.copy()
            body.gzip_tail = finishing.compress(body.tail) + finishing.flush()
        return (body.gzip_head, body.gzip_tail)


def _retrieved(future: asyncio.Future[_Body]) -> None:
    """Marks a render's outcome as seen when no scrape waited for it: a failed render leaves
    the cached body outdated, so the next scrape renders again and answers 500 if it fails
    again (as parts() does); asyncio need not warn of it meanwhile."""
    if not future.cancelled():
        future.exception()


def _without(parts: Parts, trailer: bytes) -> Answer:
    """`parts` without `trailer` at their end, the last part cut by a view, not a copy."""
    head: list[bytes | memoryview] = list(parts)
    cut = len(trailer)
    while cut and head:
        last = head.pop()
        if len(last) > cut:
            head.append(memoryview(last)[: len(last) - cut])
        cut = max(cut - len(last), 0)
    return tuple(head)


def _compressor() -> zlib._Compress:
    # wbits 31: a gzip header and trailer (mtime 0), as gzip.compress writes them.
    return zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)


def _deflate(compressor: zlib._Compress, parts: Answer) -> bytes:
    """What `compressor` writes for `parts`: deflate's output does not depend on how its
    input is split, so this is the compression of their join. Fed in pieces of DEFLATE_SIZE:
    zlib releases the interpreter at each call and a worker thread waits for it again (up to
    5 ms while another thread runs), so compressing part by part took seconds."""
    return b"".join([compressor.compress(piece) for piece in pieces(parts, DEFLATE_SIZE)])


def _gzip(parts: Parts) -> bytes:
    compressor = _compressor()
    return _deflate(compressor, parts) + compressor.flush()


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (RFC 9110 12.5.3: `gzip;q=0` refuses it)."""
    allowed: dict[str, bool] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        allowed[coding.strip().lower()] = 0 < q <= 1  # a q outside 0-1 is invalid: refused
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def negotiate(accept: str) -> tuple[Encoder, str]:
    """prometheus_client's choice of format for an Accept header; the text format when the
    header confuses it (`version=1.x` raises TypeError in prometheus_client 0.26)."""
    try:
        return choose_encoder(accept)
    except (TypeError, ValueError):
        return choose_encoder("")
