"""The simulator: many instances on one port, each under its own context path."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable

from aiohttp import web

from exporter.simulator import (
    atlassian_org,
    bitbucket,
    confluence,
    crowd,
    errors,
    faults,
    jira,
    jira_cloud,
    upm,
)
from exporter.simulator.auth import authenticate
from exporter.simulator.base import Context, Reply, Route, find_route, html_page, html_reply
from exporter.simulator.control import add_control_routes
from exporter.simulator.model import (
    STATUS_CODES,
    AuthOutcome,
    Fault,
    InstanceState,
    RecordedRequest,
    SimInstance,
)

log = logging.getLogger(__name__)

ROUTES: dict[str, list[Route]] = {
    # UPM is the same on the three Data Center products.
    "jira": jira.ROUTES + upm.ROUTES,
    "confluence": confluence.ROUTES + upm.ROUTES,
    "bitbucket": bitbucket.ROUTES + upm.ROUTES,
    "crowd": crowd.ROUTES,
    "jira-cloud": jira_cloud.ROUTES,
    "atlassian-org": atlassian_org.ROUTES,
}
_LOGIN_PATHS = {
    "jira": "/login.jsp",
    "confluence": "/login.action",
    "bitbucket": "/login",
    "crowd": "/console/login.action",
    "jira-cloud": "/login.jsp",
    "atlassian-org": "/login",
}


class Simulator:
    """Serves simulated Jira, Confluence and Bitbucket instances; see exporter.simulator."""

    def __init__(
        self,
        instances: Iterable[SimInstance],
        *,
        clock: Callable[[], float] = time.time,
        latency: float = 0.0,
        shutdown_timeout: float = 0.5,
    ) -> None:
        self._states: dict[str, InstanceState] = {}
        for instance in instances:
            if instance.name in self._states:
                raise ValueError(f"duplicate instance name {instance.name!r}")
            self._states[instance.name] = InstanceState(instance)
        self._clock = clock
        self._start = clock()  # seat motion counts from here
        self.latency = latency
        # How long stop() lets a request in flight (a slow or drip fault) finish.
        self.shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    def __contains__(self, name: object) -> bool:
        return name in self._states

    @property
    def instances(self) -> list[SimInstance]:
        return [state.instance for state in self._states.values()]

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("simulator not started")
        return self._base_url

    def make_app(self) -> web.Application:
        app = web.Application()
        # Control routes first: the catch-all below would otherwise swallow /-/sim/.
        add_control_routes(app, self)
        app.router.add_route("*", "/{name}", self._handle)
        app.router.add_route("*", "/{name}/{tail:.*}", self._handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        # A short shutdown timeout: stop() must not wait for a slow or drip fault to finish.
        runner = web.AppRunner(
            self.make_app(), access_log=None, shutdown_timeout=self.shutdown_timeout
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._base_url = f"http://{shown}:{bound_port}"
        log.info("simulator listening on %s with %d instances", self._base_url, len(self._states))
        return self._base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._base_url = None

    def url(self, name: str) -> str:
        self._state(name)
        return f"{self.base_url}/{name}"

    def set_fault(self, name: str, fault: Fault | None) -> None:
        self._state(name).fault = fault
        log.info("instance %s fault %s", name, fault)

    def set_state(self, name: str, state: str) -> None:
        """What /status reports (RUNNING, STARTING, MAINTENANCE, ERROR, ...)."""
        if state not in STATUS_CODES:
            raise ValueError(f"unknown state {state!r}")
        self._state(name).instance.state = state

    def pin_seats(self, name: str, product: str, used: int | None) -> None:
        state = self._state(name)
        if state.instance.product(product) is None:
            raise KeyError(f"instance {name!r} has no product {product!r}")
        if used is None:
            state.pins.pop(product, None)
        else:
            # Not clamped to the limit: alert tests may want an over-licensed instance.
            state.pins[product] = max(0, used)

    def seats(self, name: str, product: str) -> int:
        """Seats in use right now, as the endpoints would report them."""
        state = self._state(name)
        found = state.instance.product(product)
        if found is None:
            raise KeyError(f"instance {name!r} has no product {product!r}")
        return state.used(found, self._clock() - self._start)

    def requests(self, name: str) -> list[RecordedRequest]:
        return list(self._state(name).requests)

    def count(self, name: str, path: str | None = None, method: str = "GET") -> int:
        """Requests received by `name`, optionally only those whose path contains `path`."""
        return sum(
            1
            for r in self._state(name).requests
            if r.method == method and (path is None or path in r.path)
        )

    def reset_requests(self, name: str | None = None) -> None:
        states = self._states.values() if name is None else [self._state(name)]
        for state in states:
            state.requests.clear()

    def _state(self, name: str) -> InstanceState:
        try:
            return self._states[name]
        except KeyError:
            raise KeyError(f"unknown instance {name!r}") from None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        state = self._states.get(request.match_info["name"])
        if state is None:
            raise web.HTTPNotFound()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        instance = state.instance
        path = "/" + request.match_info.get("tail", "")
        now = self._clock()
        auth = authenticate(instance, request.headers.get("Authorization"))
        found = find_route(ROUTES[instance.type], path)
        fault = state.fault
        if fault is not None and not faults.applies(fault, path, found[0] if found else None):
            fault = None
        base_url = f"{request.scheme}://{request.host}/{instance.name}"
        body = None
        if request.method == "POST" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = None
        elapsed = now - self._start
        ctx = Context(
            instance,
            now,
            base_url,
            lambda p: state.used(p, elapsed),
            query=dict(request.query),
            body=body,
            elapsed=elapsed,
            seats_at=state.used,
            answered=lambda method, path: sum(
                1 for r in state.requests if r.method == method and r.path == path
            ),
        )
        reply = atlassian_org.rate_limited(state, now) or self._plan(
            ctx, request.method, path, auth, found, fault
        )
        state.requests.append(
            RecordedRequest(request.method, path, reply.status, auth, now, request.query_string)
        )
        log.debug("%s %s%s -> %d (%s)", request.method, instance.name, path, reply.status, auth)
        return await faults.send(request, reply, fault)

    def _plan(
        self,
        ctx: Context,
        method: str,
        path: str,
        auth: AuthOutcome,
        found: tuple[Route, re.Match[str]] | None,
        fault: Fault | None,
    ) -> Reply:
        product = ctx.instance.type
        if fault is not None:
            login_url = ctx.base_url + _LOGIN_PATHS[product]
            replaced = faults.replacement(fault, product, path, login_url, ctx.now)
            if replaced is not None:
                return replaced
        if found is None:
            return errors.not_found(product)
        matched_route, match = found
        if method != matched_route.method:
            allow = {"Allow": matched_route.method}
            return html_reply(html_page("Method Not Allowed", method), 405, allow)
        if (matched_route.auth or matched_route.login) and auth in ("anonymous", "invalid"):
            return errors.unauthorized(product, auth, ctx.base_url + _LOGIN_PATHS[product], False)
        if matched_route.auth and auth == "user":
            return errors.forbidden(product, ctx.instance.non_admin_status)
        reply = matched_route.handler(ctx, match)
        if (
            fault
            and fault.kind in faults.PAYLOAD
            and reply.status == 200
            and reply.data is not None
        ):
            return faults.reshape(fault, reply)
        return reply
