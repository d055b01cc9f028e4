"""Fault injection: which requests a fault hits, how it changes the reply, how it is sent."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

from aiohttp import web

from exporter.simulator import errors
from exporter.simulator.base import Reply, Route, json_reply
from exporter.simulator.model import Fault

log = logging.getLogger(__name__)

TRANSPORT = frozenset({"slow", "drip", "reset"})
PAYLOAD = frozenset({"malformed_json", "wrong_shape", "huge"})
HUGE_DEFAULT = 10 * 1024 * 1024


def applies(fault: Fault, path: str, found: Route | None) -> bool:
    """Does `fault` hit a request for `path` (matched to route `found`, if any)?

    With an explicit `path` substring the fault hits every matching path. Without one,
    network and node failures (slow, drip, reset, any status but 429) hit every path,
    /status included; old_version hits only the optional endpoints; and the faults that
    model what an authenticated API call sees (401, 403, 429, HTML login page, broken
    payloads) hit only the admin endpoints, because anonymous /status and serverInfo do
    not show them on a real server.
    """
    if fault.path is not None and fault.path not in path:
        return False
    if fault.kind == "old_version":
        return found is not None and found.optional
    if fault.path is not None or fault.kind in TRANSPORT:
        return True
    if fault.kind == "status" and fault.status != 429:
        return True
    return found is not None and found.auth


def replacement(
    fault: Fault, product: str, path: str, login_url: str, now: float = 0.0
) -> Reply | None:
    """The reply a fault sends instead of the real one, or None if it keeps the real one."""
    kind = fault.kind
    if kind == "unauthorized":
        return errors.unauthorized(product, "invalid", login_url, fault.captcha)
    if kind == "forbidden":
        return errors.forbidden(product)
    if kind == "html":
        return errors.login_page(product)
    if kind == "old_version":
        return errors.not_found(product)
    if kind != "status":
        return None
    if path == "/status" and fault.status in (500, 503):
        # The node health endpoint reports these states itself (reference §1.5).
        state = "MAINTENANCE" if fault.status == 503 else "ERROR"
        reply = json_reply({"state": state}, fault.status)
    else:
        reply = errors.error_status(
            product, fault.status, json_body=fault.variant == "json", now=now
        )
    if fault.retry_after is not None:
        reply.headers["Retry-After"] = fault.retry_after
    return reply


def reshape(fault: Fault, reply: Reply) -> Reply:
    """Apply a payload fault to a successful JSON reply."""
    if fault.kind == "malformed_json":
        # Cut the document short, as a proxy that dropped the end of the body would.
        body = reply.body[: max(1, len(reply.body) // 2)]
        return Reply(200, body, reply.content_type, reply.headers)
    if fault.kind == "huge":
        size = fault.size or HUGE_DEFAULT
        # Trailing whitespace keeps the JSON valid and the shape unchanged at any size.
        body = reply.body + b" " * max(0, size - len(reply.body))
        return Reply(200, body, reply.content_type, reply.headers)
    return json_reply(wrong_shape(reply.data, fault.variant or "missing"), 200, reply.headers)


def wrong_shape(data: Any, variant: str) -> Any:
    """Valid JSON that breaks the schema: dropped numbers, numbers as strings, and so on."""
    if variant == "wrong_type":
        return {"values": data} if isinstance(data, list) else [data]
    if isinstance(data, list):
        return [wrong_shape(item, variant) for item in data]
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if _is_number(value):
                if variant == "missing":
                    continue
                out[key] = _bad_number(value, variant)
            else:
                out[key] = wrong_shape(value, variant)
        return out
    return data


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bad_number(value: float, variant: str) -> Any:
    if variant == "strings":
        return str(value)
    if variant == "negative":
        # Never -1 or 0: those are meaningful (unlimited, none left).
        return -(abs(value) + 2)
    return 10**30


async def send(request: web.Request, reply: Reply, fault: Fault | None) -> web.StreamResponse:
    """Write `reply`, misbehaving on the wire if `fault` is a transport fault."""
    headers = {"Content-Type": reply.content_type, **reply.headers}
    kind = fault.kind if fault is not None else None
    if kind == "slow" and fault is not None:
        await asyncio.sleep(fault.seconds)
    if kind not in ("drip", "reset") or fault is None:
        return web.Response(status=reply.status, body=reply.body, headers=headers)
    # Announce the full length so the client can tell the body broke off.
    headers["Content-Length"] = str(len(reply.body))
    response = web.StreamResponse(status=reply.status, headers=headers)
    await response.prepare(request)
    try:
        if kind == "drip":
            for i in range(len(reply.body)):
                await response.write(reply.body[i : i + 1])
                await asyncio.sleep(fault.seconds)
            await response.write_eof()
        else:
            await response.write(reply.body[: len(reply.body) // 2])
            await asyncio.sleep(fault.seconds)
            _abort(request)
    except ConnectionError:
        log.debug("client went away during %s fault on %s", kind, request.path)
    return response


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0 makes close() send an RST instead of a FIN: a real connection reset.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
