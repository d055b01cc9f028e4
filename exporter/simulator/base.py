"""Building blocks shared by the per-product handlers: replies, request context, routes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.simulator.model import STATUS_CODES, SimInstance, SimProduct

JSON_TYPE = "application/json;charset=UTF-8"
HTML_TYPE = "text/html;charset=UTF-8"


@dataclass
class Reply:
    """A planned response; `data` keeps the JSON document so payload faults can reshape it."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    data: Any = None


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    # Atlassian servers send compact JSON.
    body = json.dumps(data, separators=(",", ":")).encode()
    return Reply(status, body, JSON_TYPE, dict(headers or {}), data)


def html_reply(html: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, html.encode(), HTML_TYPE, dict(headers or {}))


def html_page(title: str, text: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{text}</p></body>\n</html>\n"
    )


@dataclass(frozen=True)
class Context:
    """What a handler may know about one request."""

    instance: SimInstance
    now: float  # simulator clock, epoch seconds
    base_url: str  # the instance's URL as the client reached it
    seats: Callable[[SimProduct], int]
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None  # the parsed JSON body of a POST
    elapsed: float = 0.0  # seconds since the simulator started
    # Seats `elapsed` seconds after the start: for values a product caches (Jira Cloud).
    seats_at: Callable[[SimProduct, float], int] = lambda product, elapsed: 0
    # Requests of (method, path) this instance answered so far (its request log).
    answered: Callable[[str, str], int] = lambda method, path: 0

    def int_param(self, name: str, default: int) -> int:
        value = self.query.get(name, "")
        return int(value) if value.isdigit() else default


Handler = Callable[[Context, "re.Match[str]"], Reply]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = True  # needs an administrator
    optional: bool = False  # missing on older versions; the old_version fault 404s it
    method: str = "GET"
    login: bool = False  # without auth: still needs a valid login (anonymous gets 401)


def route(
    regex: str,
    handler: Handler,
    *,
    auth: bool = True,
    optional: bool = False,
    method: str = "GET",
    login: bool = False,
) -> Route:
    return Route(re.compile(regex), handler, auth, optional, method, login)


def page_window(ctx: Context, default_cap: int) -> tuple[int, int]:
    """(start, limit) of a paged request; limit defaults to 25 and is capped by the server."""
    cap = ctx.instance.page_cap or default_cap
    return ctx.int_param("start", 0), max(1, min(ctx.int_param("limit", 25), cap))


def find_route(routes: list[Route], path: str) -> tuple[Route, re.Match[str]] | None:
    for candidate in routes:
        match = candidate.pattern.fullmatch(path)
        if match:
            return candidate, match
    return None


def ms(seconds: float) -> int:
    """Epoch seconds -> the epoch milliseconds every Atlassian date field uses."""
    return round(seconds * 1000)


def days_before(when: float, now: float) -> int:
    # Whole days left, floored, so it turns negative as soon as the date has passed.
    return int((ms(when) - ms(now)) // 86_400_000)


def date_string(seconds: float) -> str:
    """Jira's default display format, e.g. 31/Dec/25 (locale-dependent on a real server)."""
    return time.strftime("%d/%b/%y", time.gmtime(seconds))


def status_endpoint(ctx: Context, _match: re.Match[str]) -> Reply:
    state = ctx.instance.state
    return json_reply({"state": state}, STATUS_CODES[state])
