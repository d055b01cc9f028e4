"""Test factories: applications, configs, and an upstream of recorded fixtures (MockTransport)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from exporter.apptypes import TYPES, AppType
from exporter.apptypes.base import Apps, Fetch, Scan
from exporter.config.load import Application, Config, parse_config
from exporter.config.targets import Target, Targets, resolve
from exporter.sources.http import LinkClient, auth_for
from exporter.sync.clock import Instant

FIXTURES = Path(__file__).parent / "fixtures"
BASE_URL = "http://upstream.test/ctx"
JSON = "application/json;charset=UTF-8"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def app_dict(
    name: str = "app", type: str = "jira", url: str = BASE_URL, **extra: Any
) -> dict[str, Any]:
    link = {"url": url, "basic_auth": {"username": "monitor", "password": "s3cret"}}
    link.update(extra.pop("link", {}))
    return {"name": name, "type": type, "link": link, **extra}


def make_config(*apps: dict[str, Any], **global_: Any) -> Config:
    return parse_config({"global": global_, "applications": list(apps)})


def make_app(name: str = "app", type: str = "jira", **extra: Any) -> Application:
    return make_config(app_dict(name, type, **extra)).applications[0]


def make_targets(*apps: dict[str, Any], **global_: Any) -> Targets:
    return resolve(make_config(*apps, **global_))


def make_target(name: str = "app", type: str = "jira", **extra: Any) -> Target:
    return make_targets(app_dict(name, type, **extra)).targets[0]


def types_with(
    fetch: Mapping[str, Fetch[Any]] | None = None,
    scan: Mapping[str, Scan[Any] | None] | None = None,
    apps: Mapping[str, Apps[Any] | None] | None = None,
) -> dict[str, AppType[Any]]:
    """The registry with some types' source or user scan replaced by a fake. Marketplace apps
    are off unless `apps` gives a type a source: a test of seats then makes no UPM requests."""
    fetch, scan, apps = fetch or {}, scan or {}, apps or {}
    return {
        name: dataclasses.replace(
            entry,
            fetch=fetch.get(name, entry.fetch),
            scan=scan.get(name, entry.scan),
            apps=apps.get(name),
        )
        for name, entry in TYPES.items()
    }


class FakeClock:
    """Wall and monotonic time as one number moved by hand; `wall_offset` steps the wall clock
    alone, as NTP or an operator would. Also callable, for the simulator's `clock=`."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.wall_offset = 0.0

    def __call__(self) -> float:
        return self.time()

    def time(self) -> float:
        return self.now + self.wall_offset

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def at(seconds: float) -> Instant:
    """A moment of the FakeClock, on which wall and monotonic time agree."""
    return Instant(seconds, seconds)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"Content-Type": JSON, **(headers or {})}
    )


Handler = Callable[[httpx.Request], httpx.Response]
MakeConfig = Callable[..., Config]


def pages(by_start: Mapping[int, Any]) -> Handler:
    """A paged route: the body for each `start` query value; any other start is a 400, so a
    client that pages wrongly fails the test."""

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("start", "0"))
        if start not in by_start:
            return json_response({"message": f"unexpected start={start}"}, 400)
        return json_response(by_start[start])

    return handler


class Upstream:
    """Serves a fixed response per path under BASE_URL; anything else is 404. Counts requests.

    A route may also be a handler (request -> response), e.g. `pages(...)` for paged lists.
    """

    def __init__(self, routes: Mapping[str, httpx.Response | Handler | Any]) -> None:
        self.routes = dict(routes)
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/ctx")
        route = self.routes.get(path)
        if route is None:
            return httpx.Response(
                404, text="<html>Not Found</html>", headers={"Content-Type": "text/html"}
            )
        if isinstance(route, httpx.Response):
            return route
        return route(request) if callable(route) else json_response(route)

    def client(
        self, app: Application | None = None, *, timeout: float = 5.0, max_body: int = 10 * 2**20
    ) -> LinkClient:
        app = app or make_app()
        http = httpx.AsyncClient(
            transport=httpx.MockTransport(self.handler), auth=auth_for(app.link)
        )
        return LinkClient(http, app.link, timeout, max_body)
