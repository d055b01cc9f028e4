"""The listening socket's defences: a header-read timeout, a cap on open connections below the
descriptor limit, and logs that a flood cannot turn into gigabytes.

aiohttp keeps a connection that never finishes its headers open for its keep-alive timeout
(an hour), so 1,100 such connections used every descriptor of a systemd service (1,024):
/metrics stopped answering, syncs could not open sockets and asyncio logged a traceback for
every failed accept. Here each connection is wrapped: it must finish a request's headers within
`header_timeout` of opening or of its last response, and when `max_connections` are open the
longest idle one (no request in progress) is closed to make room, so a real client still gets
in while idle connections hold every slot.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0
# Descriptors kept for everything but the listener: each application's link keeps up to two
# idle connections, plus syncs in flight, secret and config files.
MAX_CONNECTIONS = 4096
LOG_INTERVAL = 10.0  # at most one line per kind of flood per interval


def raise_descriptor_limit(wanted: int = 65536) -> int:
    """Raises the soft descriptor limit towards the hard one, as Go programs do at start-up:
    container runtimes commonly give 1,024 soft under a hard limit of 524,288. The new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    except (OSError, ValueError):
        return soft
    return wanted


def connection_limit() -> int:
    """Half the soft descriptor limit, at most MAX_CONNECTIONS: the other half is for syncs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft // 2))


class RateLimitedLog:
    """At most `burst` lines per `key` per LOG_INTERVAL, with how many were left out."""

    def __init__(self, monotonic: Callable[[], float], burst: int = 1) -> None:
        self._monotonic = monotonic
        self._burst = burst
        self._window: dict[str, tuple[float, int]] = {}  # key -> (start, lines written)
        self._suppressed: dict[str, int] = {}

    def allow(self, key: str) -> int | None:
        """None to leave this one out; else the number left out since the last line."""
        now = self._monotonic()
        start, written = self._window.get(key, (now, 0))
        if now - start >= LOG_INTERVAL:
            start, written = now, 0
        if written >= self._burst:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        self._window[key] = (start, written + 1)
        return self._suppressed.pop(key, 0)


class _Connection(asyncio.Protocol):
    """aiohttp's protocol for one connection, with a deadline for each request's headers."""

    def __init__(self, guard: Guard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self.transport: asyncio.Transport | None = None
        self.busy = 0  # requests in progress: their headers arrived
        self._deadline: asyncio.TimerHandle | None = None
        self._made = False  # handed to aiohttp: refused connections never are
        self._unsent = 0  # bytes of a response still buffered at the last deadline

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self._guard.opened(self):
            transport.abort()
            return
        self._made = True
        self.idle()
        self._inner.connection_made(transport)

    def idle(self) -> None:
        """Starts waiting for a request's headers: on opening and after each response."""
        loop = self._guard.loop
        self._guard.waiting(self)
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = loop.call_at(loop.time() + self._guard.header_timeout, self._expire)

    def _expire(self) -> None:
        self._deadline = None
        if self.busy or self.transport is None:
            return
        # A response still on its way to a slow reader (1 MB of /metrics) is not idleness:
        # wait while it drains, but not for a reader that stopped reading.
        unsent = self.transport.get_write_buffer_size()
        if unsent and unsent != self._unsent:
            self._unsent = unsent
            loop = self._guard.loop
            self._deadline = loop.call_at(loop.time() + self._guard.header_timeout, self._expire)
            return
        self.close()

    def close(self) -> None:
        if self.transport is not None:
            # abort, not close: an idle connection has nothing to flush, and a peer that stops
            # reading must not keep the descriptor.
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._made:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._guard.closed(self)
        self.transport = None
        if self._made:
            self._inner.connection_lost(exc)


class Guard:
    def __init__(
        self,
        header_timeout: float = HEADER_TIMEOUT,
        max_connections: int | None = None,
    ) -> None:
        self.header_timeout = header_timeout
        self.max_connections = max_connections or connection_limit()
        self.loop = asyncio.get_running_loop()
        # In the order they last started waiting for headers: the longest idle first.
        self._open: OrderedDict[asyncio.BaseTransport, _Connection] = OrderedDict()
        self._log = RateLimitedLog(self.loop.time)

    def protocol(self, server: web.Server) -> asyncio.Protocol:
        return _Connection(self, server())

    def opened(self, connection: _Connection) -> bool:
        """Whether to serve a new connection; at the limit, the longest idle one makes room,
        and if every connection is busy with a request the new one is refused."""
        if len(self._open) >= self.max_connections:
            # Busy connections are few (requests take milliseconds): this finds one quickly.
            idle = next((c for c in self._open.values() if not c.busy), None)
            if idle is not None:
                # Forgotten now, not when its close completes: a burst of accepts in one loop
                # iteration must each make room, not all close the same connection.
                self.closed(idle)
                idle.close()
            suppressed = self._log.allow("limit")
            if suppressed is not None:
                log.warning(
                    "connection limit reached, %s limit=%d suppressed=%d",
                    "closing the longest idle connection" if idle else "refusing a connection",
                    self.max_connections,
                    suppressed,
                )
            if idle is None:
                return False
        assert connection.transport is not None
        self._open[connection.transport] = connection
        return True

    def waiting(self, connection: _Connection) -> None:
        transport = connection.transport
        if transport is not None and transport in self._open:
            self._open.move_to_end(transport)

    def closed(self, connection: _Connection) -> None:
        if connection.transport is not None:
            self._open.pop(connection.transport, None)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection busy from its headers to its response: the deadline is off."""
        connection = self._open.get(request.transport) if request.transport else None
        if connection is None:
            return await handler(request)
        connection.busy += 1
        try:
            return await handler(request)
        finally:
            connection.busy -= 1
            connection.idle()

    def exception_handler(
        self, previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None
    ) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
        """The loop's exception handler: failed accepts (out of descriptors) in one line per
        LOG_INTERVAL instead of a traceback each, several hundred a second."""

        def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            if context.get("message") == "socket.accept() out of system resource":
                suppressed = self._log.allow("accept")
                if suppressed is not None:
                    log.error(
                        "cannot accept connections, retrying error=%s open=%d suppressed=%d",
                        getattr(exc, "strerror", None) or type(exc).__name__,
                        len(self._open),
                        suppressed,
                    )
                return
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        return handle


class GuardedSite(web.TCPSite):
    """aiohttp's TCP site, with each connection's protocol wrapped by `guard`."""

    def __init__(self, runner: web.AppRunner, guard: Guard, *args: Any, **kwargs: Any) -> None:
        super().__init__(runner, *args, **kwargs)
        self._guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        server = self._runner.server
        assert server is not None
        guard = self._guard
        self._server = await guard.loop.create_server(
            lambda: guard.protocol(server),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
            # A TLS handshake that never ends holds a descriptor as headers that never end do.
            ssl_handshake_timeout=guard.header_timeout if self._ssl_context else None,
        )


class RequestLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server logger, with a malformed request in one line: aiohttp logs a traceback
    and the raw bytes of the request, which carry its Authorization header."""

    def __init__(self, logger: logging.Logger, monotonic: Callable[[], float]) -> None:
        super().__init__(logger, {})
        self._rate = RateLimitedLog(monotonic, burst=10)

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, tuple):
            exc = exc[1]
        if isinstance(exc, HttpProcessingError):
            suppressed = self._rate.allow("bad request")
            if suppressed is not None:
                log.warning(
                    "bad request peer=%s status=%d error=%s suppressed=%d",
                    args[0] if args else "unknown",
                    exc.code,
                    type(exc).__name__,
                    suppressed,
                )
            return
        super().log(level, msg, *args, **kwargs)
