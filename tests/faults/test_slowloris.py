"""Slowloris and descriptors, against the exporter's own server on real loopback sockets:
connections that never finish their headers are closed, idle connections cannot hold every
slot from a real client, and floods are logged in a line, never a traceback each."""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from exporter.serve.collector import LicenseCollector
from exporter.serve.guard import connection_limit, raise_descriptor_limit
from exporter.serve.web import make_app, serve
from exporter.sync.poller import Poller
from exporter.sync.runtime import Runtime
from tests.factories import app_dict, make_targets

PARTIAL = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # the blank line never comes
# Generous bounds against a hang; the server's own timeouts in these tests are far shorter.
GUARD = 10.0


@pytest.fixture
async def start() -> AsyncIterator[Callable[..., object]]:
    """Starts the exporter's server (make_app + serve) with the given serve() options."""
    runners: list[web.AppRunner] = []
    pollers: list[Poller] = []

    async def started(ssl_context: ssl.SSLContext | None = None, **options: float) -> str:
        poller = Poller(make_targets(app_dict("jira-prod")))
        pollers.append(poller)
        runtime = Runtime(poller, None)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(LicenseCollector(lambda: poller.states))
        app = make_app(runtime, registry)
        runner = await serve(app, "127.0.0.1", 0, ssl_context, **options)  # type: ignore[arg-type]
        runners.append(runner)
        scheme = "https" if ssl_context else "http"
        return f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"

    yield started
    for writer in WRITERS:
        writer.close()
    WRITERS.clear()
    for runner in runners:
        await runner.cleanup()
    for poller in pollers:
        await poller.close()


WRITERS: list[asyncio.StreamWriter] = []  # a collected writer closes its connection


async def idle_connection(url: str, data: bytes = PARTIAL) -> asyncio.StreamReader:
    port = int(url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    WRITERS.append(writer)
    writer.write(data)
    await writer.drain()
    return reader


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """What the server sent before closing; fails the test if it never closes."""
    return await asyncio.wait_for(reader.read(), GUARD)


async def test_connections_that_never_finish_their_headers_are_closed(start) -> None:  # type: ignore[no-untyped-def]
    url = await start(header_timeout=0.2)
    readers = [await idle_connection(url) for _ in range(5)]
    readers.append(await idle_connection(url, b""))  # connects, never sends a byte
    # One request answered, then the next one's headers never finish.
    keep_alive = await idle_connection(url, b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n" + PARTIAL)
    results = await asyncio.gather(*(closed_by_server(r) for r in [*readers, keep_alive]))
    assert results[:-1] == [b""] * 6  # closed without an answer
    assert results[-1].startswith(b"HTTP/1.1 200 OK") and results[-1].endswith(b"Healthy.\n")


@pytest.mark.integration  # its certificate is made by openssl (self_signed)
async def test_tls_handshakes_and_headers_get_the_same_deadline(  # type: ignore[no-untyped-def]
    start, self_signed: tuple[Path, Path]
) -> None:
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    url = await start(context, header_timeout=0.2)
    port = int(url.rsplit(":", 1)[1])
    client_context = ssl.create_default_context(cafile=str(cert))
    partial, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_context)
    WRITERS.append(writer)
    writer.write(PARTIAL)
    no_handshake = await idle_connection(url.replace("https", "http"), b"")
    assert await closed_by_server(partial) == b""
    assert await closed_by_server(no_handshake) == b""
    async with httpx.AsyncClient(verify=client_context) as client:
        assert (await client.get(f"{url}/-/healthy")).status_code == 200


async def test_metrics_answers_while_idle_connections_hold_every_slot(start) -> None:  # type: ignore[no-untyped-def]
    url = await start(header_timeout=60, max_connections=20)  # only the cap closes here
    readers = [await idle_connection(url) for _ in range(20)]
    async with httpx.AsyncClient() as client:
        for attempt in range(3):
            response = await client.get(f"{url}/metrics", headers={"Connection": "close"})
            assert response.status_code == 200
            assert "atlassian_license_exporter_build_info" in response.text
            # The request's connection closed the longest idle one to make room.
            assert await closed_by_server(readers[attempt]) == b""
            readers.append(await idle_connection(url))  # every slot taken again


async def test_a_burst_of_connections_each_makes_room(start) -> None:  # type: ignore[no-untyped-def]
    url = await start(header_timeout=60, max_connections=5)
    oldest = [await idle_connection(url) for _ in range(5)]
    # Accepted together, in one pass of the loop: each must close a different idle connection.
    await asyncio.gather(*(idle_connection(url) for _ in range(5)))
    assert await asyncio.gather(*(closed_by_server(r) for r in oldest)) == [b""] * 5


async def test_the_longest_idle_connection_makes_room(start) -> None:  # type: ignore[no-untyped-def]
    url = await start(header_timeout=60, max_connections=3)
    first = await idle_connection(url)
    async with httpx.AsyncClient() as client:
        # Sequential requests reuse one keep-alive connection; it is idle between them.
        for _ in range(5):
            assert (await client.get(f"{url}/-/healthy")).status_code == 200
        for _ in range(2):  # the second one finds every slot taken
            await idle_connection(url)
        # `first` waited longer than the client's connection, idle since its last response.
        assert await closed_by_server(first) == b""
        assert (await client.get(f"{url}/-/healthy")).status_code == 200


async def test_a_malformed_request_is_one_line_without_its_bytes(
    start,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    url = await start()
    caplog.set_level(logging.DEBUG)
    raw = (
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2VjcmV0OmNhbmFyeQ==\r\n"
        b"Not A Header\r\n\r\n"
    )
    answer = await closed_by_server(await idle_connection(url, raw))
    assert answer.startswith(b"HTTP/1.0 400 Bad Request")
    records = [r for r in caplog.records if r.name.startswith(("aiohttp", "exporter"))]
    assert [r.getMessage() for r in records] == [
        "bad request peer=127.0.0.1 status=400 error=BadHttpMessage suppressed=0"
    ]
    assert records[0].exc_info is None and "c2VjcmV0" not in caplog.text


async def test_failed_accepts_are_logged_once_per_interval(
    start,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    await start()
    loop = asyncio.get_running_loop()
    caplog.clear()
    for _ in range(500):  # what asyncio reports for each accept() out of descriptors
        loop.call_exception_handler(
            {
                "message": "socket.accept() out of system resource",
                "exception": OSError(errno.EMFILE, "Too many open files"),
            }
        )
    assert [r.getMessage() for r in caplog.records] == [
        "cannot accept connections, retrying error=Too many open files open=0 suppressed=0"
    ]
    assert caplog.records[0].exc_info is None


@contextmanager
def soft_descriptor_limit(soft: int) -> Iterator[None]:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, before[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)


def test_the_connection_cap_stays_below_the_descriptor_limit() -> None:
    with soft_descriptor_limit(1024):  # systemd's default for a service
        assert connection_limit() == 512
    with soft_descriptor_limit(256):
        assert connection_limit() == 128


def test_the_soft_descriptor_limit_is_raised_towards_the_hard_one() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    with soft_descriptor_limit(1024):  # what many container runtimes give
        assert raise_descriptor_limit() == wanted
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == wanted
