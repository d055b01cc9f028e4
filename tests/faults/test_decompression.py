"""Decompression bombs from a real loopback server: memory stays near body_size_limit whatever
the Content-Encoding, and the event loop keeps running while a bomb is refused."""

from __future__ import annotations

import asyncio
import gzip
import struct
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from exporter.sources.http import LinkClient, SSLContexts, build_client
from exporter.sources.model import SourceError
from tests.factories import make_app

LIMIT = 1 << 20  # body_size_limit of the client under test
GIB = 1 << 30


def _zeros_stream(size: int, wbits: int, trailer: Callable[[int], bytes]) -> bytes:
    """A zlib-family stream of `size` zero bytes (about 1000:1), 1 MiB per fully flushed block.

    A full flush resets the compressor, so every block after the first compresses to the same
    bytes: two blocks are compressed and the second repeated, instead of compressing all of
    them (seconds for 1 GiB). The trailer for the whole size replaces the two blocks' one.
    """
    block = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    short = trailer(0)  # only its length: the trailer for two blocks is cut off
    return first + repeated * (size // len(block) - 1) + end[: -len(short)] + trailer(size)


def _gzip_zeros(size: int) -> bytes:
    """A gzip stream of `size` zero bytes; its trailer is the CRC-32 and the size mod 2**32."""

    def trailer(n: int) -> bytes:
        crc, block = 0, bytes(1 << 20)
        for _ in range(n // len(block)):
            crc = zlib.crc32(block, crc)
        return struct.pack("<II", crc, n & 0xFFFFFFFF)

    return _zeros_stream(size, 31, trailer)


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.fixture(scope="module")
def single_bomb() -> bytes:
    """About 1 MiB on the wire, 1 GiB inflated: the most one gzip layer of this size holds."""
    return _gzip_zeros(GIB)


@pytest.fixture(scope="module")
def stacked_bomb(single_bomb: bytes) -> bytes:
    """A few KiB on the wire: gzip of the single bomb, sent as `gzip, gzip`."""
    return gzip.compress(single_bomb, 9)


@pytest.fixture(scope="module")
def deflate_bomb() -> bytes:
    """256 MiB of zeros in a zlib wrapper, as HTTP's `deflate` means (Adler-32 trailer)."""

    def trailer(n: int) -> bytes:
        adler, block = 1, bytes(1 << 20)
        for _ in range(n // len(block)):
            adler = zlib.adler32(block, adler)
        return struct.pack(">I", adler)

    return _zeros_stream(256 << 20, zlib.MAX_WBITS, trailer)


@pytest.fixture
async def bomb_server(
    single_bomb: bytes, stacked_bomb: bytes, deflate_bomb: bytes
) -> AsyncIterator[str]:
    deflate = deflate_bomb
    bodies = {
        "/gzip": (single_bomb, "gzip"),
        "/stacked": (stacked_bomb, "gzip, gzip"),
        "/deflate": (deflate, "deflate"),
        "/brotli": (b"\x0b\x02\x80{}\x03", "br"),
        "/small-gzip": (gzip.compress(b'{"ok": true}'), "gzip"),
        "/small-deflate": (zlib.compress(b'{"ok": true}'), "deflate"),
        "/small-raw-deflate": (_raw_deflate(b'{"ok": true}'), "deflate"),
        "/small-identity": (b'{"ok": true}', "identity"),
    }

    async def handler(request: web.Request) -> web.StreamResponse:
        body, encoding = bodies[request.path]
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Encoding": encoding}
        )
        await response.prepare(request)
        # Network-sized writes, so the client sees the body arrive in ordinary chunks.
        for start in range(0, len(body), 64 << 10):
            await response.write(body[start : start + (64 << 10)])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def _client(base: str) -> LinkClient:
    app = make_app(url=base)
    return LinkClient(build_client(app.link, SSLContexts(), 30.0), app.link, 30.0, LIMIT)


class Ticker:
    """A task that wants to run every 10 ms; records the longest gap it saw."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._last = time.perf_counter()
        self._task: asyncio.Task[None] | None = None

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst, self._last = max(self.worst, now - self._last), now

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.01)
            self._tick()

    def __enter__(self) -> Ticker:
        self._last = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self._tick()  # a loop blocked until the very end counts too


@pytest.mark.parametrize(
    ("path", "reason", "text"),
    [
        ("/gzip", "body_too_large", "body_size_limit"),
        ("/deflate", "body_too_large", "body_size_limit"),
        ("/stacked", "invalid_response", "'gzip, gzip'"),
        ("/brotli", "invalid_response", "'br'"),
    ],
)
async def test_bomb_is_refused_within_bounded_memory(
    bomb_server: str, path: str, reason: str, text: str
) -> None:
    client = await _client(bomb_server)
    tracemalloc.start()
    try:
        with Ticker() as ticker, pytest.raises(SourceError) as exc:
            await client.get_json(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await client.client.aclose()
    print(f"{path}: peak {peak / 2**20:.1f} MiB, longest loop gap {ticker.worst * 1000:.0f} ms")
    assert exc.value.reason == reason, exc.value.message
    assert text in exc.value.message
    # The body kept (1 MiB) plus one bounded decode step and the network buffers.
    assert peak < 4 * LIMIT
    # A guard against a loop frozen for the whole bomb (bounded steps are what peak checks):
    # generous, so a loaded machine cannot fail it; the gap itself is printed, not asserted.
    assert ticker.worst < 2.0


async def test_accept_encoding_names_only_what_is_decoded() -> None:
    app = make_app()
    client = build_client(app.link, SSLContexts(), 1.0)
    try:
        assert client.headers["Accept-Encoding"] == "gzip, deflate"
    finally:
        await client.aclose()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "identity"])
async def test_ordinary_bodies_still_decode(bomb_server: str, coding: str) -> None:
    client = await _client(bomb_server)
    try:
        assert await client.get_json(f"/small-{coding}") == {"ok": True}
    finally:
        await client.client.aclose()
