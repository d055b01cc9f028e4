"""Reading a response body within a memory budget: raw bytes decoded here, in bounded steps.

httpx inflates each network chunk in one call, so a 64 KiB chunk of a gzip bomb becomes 64 MiB
before any cap can look at it, and `Content-Encoding: gzip, gzip` multiplies that again
(issue #12: 3.5 KB on the wire, 4 GiB resident, the event loop frozen for 30 s). Here output
is produced at most STEP bytes at a time and counted against body_size_limit as it comes, and
the loop gets a turn between steps. Only one layer of gzip or deflate is accepted: that is all
build_client asks for in Accept-Encoding.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterable
from typing import Any

from exporter.sources.model import SourceError

ACCEPT_ENCODING = "gzip, deflate"
# Output of one decompress call: small enough that even a 1000:1 bomb costs little per step.
STEP = 64 * 1024
# JSON parse budget: containers and separators, counted in the raw text before parsing. A
# Crowd page of 1,000 users has ~10,000 containers; 10 MiB of `[],[],...` has 3.5 million,
# which json.loads turns into 226 MiB of lists (traced) in 5 s.
MAX_CONTAINERS = 200_000
MAX_SEPARATORS = 2_000_000


class _Decoder:
    """One layer of gzip or deflate, inflated at most STEP bytes per call."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib = zlib.decompressobj(31 if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS)
        self._started = False

    def decode(self, data: bytes) -> bytes:
        try:
            out = self._zlib.decompress(data, STEP)
        except zlib.error:
            # Some servers send raw deflate for `deflate` (no zlib header); browsers accept it.
            if self.coding != "deflate" or self._started:
                raise
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, STEP)
        self._started = True
        return out

    def flush(self) -> bytes:
        # What inflate holds back once all input is in: at most one window (32 KiB).
        return self._zlib.flush()

    @property
    def pending(self) -> bytes:
        return self._zlib.unconsumed_tail

    @property
    def trailing(self) -> bool:
        return self._zlib.eof and bool(self._zlib.unused_data)


def coding_of(header: str, path: str) -> str:
    """The one content coding of a response, '' for identity; stacked or unknown ones fail."""
    codings = [c.strip().lower() for c in header.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return ""
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return codings[0]
    raise SourceError(
        "invalid_response",
        path,
        f"unsupported Content-Encoding {header.strip()[:40]!r} "
        f"(the exporter asks for one of {ACCEPT_ENCODING!r})",
    )


def _too_large(limit: int, path: str) -> SourceError:
    return SourceError("body_too_large", path, f"response larger than body_size_limit ({limit} B)")


async def read_capped(raw: AsyncIterable[bytes], coding: str, limit: int, path: str) -> bytearray:
    """The decoded body, failing with body_too_large as soon as it would pass `limit` bytes.

    A bytearray, not bytes: json.loads takes it as it is, so the body is held once, not twice.
    """
    body = bytearray()
    received = 0
    decoder = _Decoder(coding) if coding else None
    try:
        async for chunk in raw:
            # Raw bytes count too: compressed data that never yields output is still a body.
            received += len(chunk)
            if received > limit:
                raise _too_large(limit, path)
            if decoder is None:
                body += chunk
                continue
            data = chunk
            while data:
                body += decoder.decode(data)
                if len(body) > limit:
                    raise _too_large(limit, path)
                if decoder.trailing:
                    raise SourceError(
                        "invalid_response", path, f"data after the end of the {coding} stream"
                    )
                data = decoder.pending
                if data:
                    await asyncio.sleep(0)  # a turn for the loop between bounded steps
        if decoder is not None:
            body += decoder.flush()
    except zlib.error:
        raise SourceError(
            "invalid_response", path, f"corrupt {coding} data in the response"
        ) from None
    if len(body) > limit:
        raise _too_large(limit, path)
    return body


def parse_json(body: bytes | bytearray, path: str) -> Any:
    """json.loads within the parse budget; every failure is a SourceError."""
    containers = body.count(b"[") + body.count(b"{")
    separators = body.count(b",") + body.count(b":")
    if containers > MAX_CONTAINERS or separators > MAX_SEPARATORS:
        raise SourceError(
            "invalid_response",
            path,
            f"JSON too complex to parse: {containers} arrays/objects and {separators} "
            f"separators, more than the limits {MAX_CONTAINERS} and {MAX_SEPARATORS}",
        )
    try:
        return json.loads(body)
    except RecursionError:
        raise SourceError("invalid_response", path, "JSON nested too deeply") from None
    except ValueError as exc:
        raise SourceError("not_json", path, f"malformed JSON: {exc}") from None
