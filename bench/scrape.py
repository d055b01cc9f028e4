"""Section 2: /metrics cost, rendered directly in-process and served over HTTP.

Over HTTP, a minimal asyncio HTTP/1.1 client in this process keeps one connection per worker
and times each request from the first byte written to the last body byte read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.measure import percentile
from bench.procs import HOST


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    body_bytes: int
    wall: float

    @property
    def per_second(self) -> float:
        return self.count / self.wall if self.wall else 0.0


def summarize(seconds: list[float], body_bytes: int, wall: float) -> Latency:
    return Latency(
        len(seconds),
        1000 * percentile(seconds, 50),
        1000 * percentile(seconds, 99),
        1000 * sum(seconds) / len(seconds) if seconds else 0.0,
        body_bytes,
        wall,
    )


def time_renders(
    renders: dict[str, Callable[[], bytes]], count: int, time_cap: float
) -> dict[str, Latency]:
    """Calls each render `count` times, interleaved (one of each in turn, so a busy spell on
    the machine hits all of them alike), stopping early after `time_cap` seconds."""
    seconds: dict[str, list[float]] = {name: [] for name in renders}
    sizes = dict.fromkeys(renders, 0)
    deadline = time.monotonic() + time_cap
    started = time.perf_counter()
    for _ in range(count):
        for name, render in renders.items():
            t0 = time.perf_counter()
            sizes[name] = len(render())
            seconds[name].append(time.perf_counter() - t0)
        if time.monotonic() > deadline:
            break
    wall = time.perf_counter() - started
    return {name: summarize(seconds[name], sizes[name], wall) for name in renders}


class Connection:
    """A minimal HTTP/1.1 keep-alive client: costs the measuring process little CPU."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> tuple[int, int]:
        """(status, body bytes) of one request on this keep-alive connection."""
        status, _, body = await self.fetch(request)
        return status, len(body)

    async def fetch(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """(status, headers in lower case, body as sent) of one request on this connection."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            return status, headers, await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() != "chunked":
            raise RuntimeError(f"response without length: {headers}")
        chunks = []
        for _ in range(1_000_000):
            chunk = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append((await self.reader.readexactly(chunk + 2))[:-2])
            if chunk == 0:
                break
        return status, headers, b"".join(chunks)

    def close(self) -> None:
        self.writer.close()


async def connect(port: int) -> Connection:
    reader, writer = await asyncio.open_connection(HOST, port, limit=2**20)
    return Connection(reader, writer)


async def scrape(
    port: int,
    path: str,
    count: int,
    concurrency: int = 1,
    *,
    gzip: bool = False,
    warm_up: int = 3,
    time_cap: float = 60.0,
    min_count: int = 5,
) -> Latency:
    """`count` GETs of `path` by `concurrency` workers, each on its own keep-alive connection;
    fewer if `time_cap` seconds run out first, but at least `min_count`."""
    extra = "Accept-Encoding: gzip\r\n" if gzip else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{extra}\r\n".encode()
    connections = [await connect(port) for _ in range(concurrency)]
    try:
        for _ in range(warm_up):
            await connections[0].get(request)
        seconds: list[float] = []
        sizes: list[int] = []
        remaining = count
        deadline = time.monotonic() + time_cap

        async def worker(connection: Connection) -> None:
            nonlocal remaining
            while remaining > 0 and (
                time.monotonic() < deadline or len(seconds) < min(min_count, count)
            ):
                remaining -= 1
                t0 = time.perf_counter()
                status, size = await connection.get(request)
                seconds.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"GET {path} on port {port}: HTTP {status}")
                sizes.append(size)

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in connections))
        wall = time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()
    return summarize(seconds, max(sizes, default=0), wall)
