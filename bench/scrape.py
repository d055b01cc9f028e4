"""A minimal asyncio HTTP/1.1 keep-alive client, and /metrics series timed with it.

It costs the measuring process little CPU: httpx needs about 6 ms per answer and aiohttp's
client 1.5 ms, so with either the client, not the exporter, would set the latency.
"""

from __future__ import annotations

import asyncio
import time

from bench.measure import Latency, summarize
from bench.procs import HOST


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

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
    time_cap: float = 60.0,
    min_count: int = 5,
) -> Latency:
    """`count` GETs of `path` by `concurrency` workers, each on its own keep-alive connection,
    timed from the first byte written to the last body byte read; fewer if `time_cap`
    seconds run out first, but at least `min_count`. Three untimed GETs warm up."""
    extra = "Accept-Encoding: gzip\r\n" if gzip else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{extra}\r\n".encode()
    connections = [await connect(port) for _ in range(concurrency)]
    seconds: list[float] = []
    size = 0
    try:
        for _ in range(3):
            await connections[0].fetch(request)
        remaining = count
        deadline = time.monotonic() + time_cap

        async def worker(connection: Connection) -> None:
            nonlocal remaining, size
            while remaining > 0 and (
                time.monotonic() < deadline or len(seconds) < min(min_count, count)
            ):
                remaining -= 1
                t0 = time.perf_counter()
                status, _, body = await connection.fetch(request)
                seconds.append(time.perf_counter() - t0)
                if status != 200:
                    raise RuntimeError(f"GET {path} on port {port}: HTTP {status}")
                size = max(size, len(body))

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in connections))
        wall = time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()
    return summarize(seconds, size, wall)
