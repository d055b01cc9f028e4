"""The Atlassian organization admin REST API (developer.atlassian.com/cloud/admin/organization):
the organization by id, and its managed accounts with cursor paging through `links.next`.

Pages hold 50 accounts (the API's page size, AX-243); the cursor is opaque, as in the
documented examples. An instance's `rate_limit` answers requests beyond it, per window, with
429, Retry-After and X-RateLimit-Reset, which is how a large organization's scan meets it.
"""

from __future__ import annotations

import base64
import math
import re
import time
from typing import Any

from exporter.simulator.base import Context, Reply, Route, json_reply, route
from exporter.simulator.model import InstanceState

PAGE_SIZE = 50


def error(status: int, title: str) -> Reply:
    # The API's error entity is not in the reference: a code and a message, like its peers.
    return json_reply({"code": status, "message": title}, status)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, number = text.partition(":")
    return int(number) if kind == "offset" and number.isdigit() else None


def _org(ctx: Context, match: re.Match[str]) -> Reply | None:
    if match["org"] != ctx.instance.org_id:
        return error(404, "Organization not found")
    return None


def _org_by_id(ctx: Context, match: re.Match[str]) -> Reply:
    missing = _org(ctx, match)
    if missing is not None:
        return missing
    org = ctx.instance.org_id
    return json_reply(
        {
            "data": {
                "id": org,
                "type": "orgs",
                "attributes": {"name": ctx.instance.name},
                "links": {"self": f"{ctx.base_url}/admin/v1/orgs/{org}"},
            }
        }
    )


def _users(ctx: Context, match: re.Match[str]) -> Reply:
    missing = _org(ctx, match)
    if missing is not None:
        return missing
    population = ctx.instance.org_users
    count = 0 if population is None else population.count
    cursor = ctx.query.get("cursor")
    start = 0 if cursor is None else _offset(cursor)
    if start is None or start > count:
        return error(400, "Invalid page cursor")
    stop = start + (ctx.instance.page_cap or PAGE_SIZE)
    users = [] if population is None else population.users(start, stop, ctx.now)
    links: dict[str, Any] = {"self": _cursor(start)}
    if stop < count:
        links["next"] = _cursor(stop)
    body: dict[str, Any] = {"data": [u.body() for u in users], "links": links}
    body["meta"] = {"total": count}
    return json_reply(body)


def rate_limited(state: InstanceState, now: float) -> Reply | None:
    """A fixed-window limit: the 429 for a request beyond it, else None (and it counts)."""
    instance = state.instance
    if instance.rate_limit <= 0:
        return None
    if now - state.window_start >= instance.rate_window:
        state.window_start, state.window_requests = now, 0
    if state.window_requests < instance.rate_limit:
        state.window_requests += 1
        return None
    wait = max(1, math.ceil(state.window_start + instance.rate_window - now))
    reply = error(429, "Too Many Requests")
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + wait))
    reply.headers |= {
        "Retry-After": str(wait),
        "X-RateLimit-Limit": str(instance.rate_limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
    }
    return reply


_ORG = r"/admin/v1/orgs/(?P<org>[^/]+)"
ROUTES: list[Route] = [
    route(_ORG, _org_by_id),
    route(_ORG + r"/users", _users),
]
