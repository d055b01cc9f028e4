"""Section 1: a first full sync of N applications, the exporter against its baselines.

All run in this process, one after the other, against the simulator process:

exporter: the real Poller, `run_due()` on a fresh Poller (every application is due). License
    syncs only: user scans (a separate, hourly schedule with its own limit) are switched off
    with `user_scans={}`, so that it fetches exactly what the lower bound fetches.
lower bound: bare asyncio + httpx, the same URLs in the same rounds as the exporter's sources
    (Jira: roles, then the role licenses together; Confluence: four counters together;
    Bitbucket: one call), the same concurrency limit held per application, one AsyncClient
    per application with the exporter's pool limits, one shared SSLContext. It parses
    nothing: it even knows the Jira role keys up front instead of reading them.
aiohttp: the lower bound with aiohttp's client (one ClientSession per application, limit 4
    connections): what a different HTTP client would cost (a what-if, not a goal's baseline).
sequential: what users write today: one httpx.Client, one request after another, every body
    parsed with .json() (Jira's role keys are read from the roles body).

The shared SSLContext is built before the timed part for both async contenders; the one-off
~65 ms it costs is part of the start-up figure instead.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from bench.measure import Cost, Meter, median_cost
from bench.procs import HOST
from bench.workload import App, config_dict
from exporter.config.load import parse_config
from exporter.config.models import TLSConfig
from exporter.config.targets import resolve
from exporter.sources import confluence, jira
from exporter.sources.http import SSLContexts
from exporter.sync.poller import AppState, Poller

# The exporter's pool limits per link (exporter/sources/http.py build_client).
LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2)
TIMEOUT = httpx.Timeout(30.0)
_OPTIONAL_PREFIXES = (confluence.DETAILS, jira.LICENSE.split("{", 1)[0])
# (client or session, URL) -> the status of a GET
Getter = Callable[[Any, str], Awaitable[int]]


def _expected(path: str, status: int) -> bool:
    return status == 200 or (status == 404 and path.startswith(_OPTIONAL_PREFIXES))


@dataclass
class SyncRow:
    n: int
    concurrency: int
    exporter: Cost
    lower: Cost
    sequential: Cost | None = None
    sequential_scale: int = 1  # >1: sequential measured on every k-th app, times k
    runs: int = 1
    all_exporter: list[Cost] = field(default_factory=list)
    all_lower: list[Cost] = field(default_factory=list)

    @property
    def ratio_wall(self) -> float:
        return self.exporter.wall / self.lower.wall

    @property
    def ratio_cpu(self) -> float:
        return self.exporter.cpu / self.lower.cpu


class SyncBench:
    def __init__(self, meter: Meter, apps: list[App]) -> None:
        self.meter = meter
        self.apps = apps
        self.contexts = SSLContexts()
        self.contexts.get(TLSConfig())  # built once, outside every timed part
        self.context: ssl.SSLContext = ssl.create_default_context()
        self.last_states: dict[str, AppState] = {}

    async def exporter(self, selected: list[App], concurrency: int) -> Cost:
        """The first full sync of `selected` by a fresh Poller."""
        data = config_dict(selected, concurrency)
        data["global"]["user_scans"] = {"enabled": False}  # the floor makes no scan requests
        poller = Poller(resolve(parse_config(data)), contexts=self.contexts)
        try:
            gc.collect()
            stop = self.meter.start()
            await poller.run_due()
            failed = sum(1 for s in poller.states.values() if s.sync.up is not True)
            cost = stop(sum(app.requests() for app in selected), failed)
        finally:
            await poller.close()
        self.last_states = dict(poller.states)
        return cost

    async def _bound(
        self, selected: list[App], concurrency: int, open_: Callable[[App], Any], get: Getter
    ) -> Cost:
        """The lower bound's requests through clients made by `open_`; closing them is not
        part of a sync, so it happens after the measurement."""
        semaphore = asyncio.Semaphore(concurrency)
        clients: list[Any] = []

        async def one(app: App) -> tuple[int, int]:
            requests = failed = 0
            async with semaphore:
                client = open_(app)
                clients.append(client)
                for paths in app.rounds():
                    statuses = await asyncio.gather(*(get(client, app.url + p) for p in paths))
                    requests += len(paths)
                    failed += sum(not _expected(p, s) for p, s in zip(paths, statuses, strict=True))
            return requests, failed

        stop = self.meter.start()
        try:
            results = await asyncio.gather(*(one(app) for app in selected))
            return stop(sum(r for r, _ in results), sum(f for _, f in results))
        finally:
            for client in clients:
                await (client.aclose() if isinstance(client, httpx.AsyncClient) else client.close())

    async def lower(self, selected: list[App], concurrency: int) -> Cost:
        def client(app: App) -> httpx.AsyncClient:
            auth = (app.username, app.password)
            return httpx.AsyncClient(auth=auth, verify=self.context, limits=LIMITS, timeout=TIMEOUT)

        async def get(client: httpx.AsyncClient, url: str) -> int:
            return (await client.get(url)).status_code

        return await self._bound(selected, concurrency, client, get)

    async def aiohttp(self, selected: list[App], concurrency: int) -> Cost:
        def session(app: App) -> aiohttp.ClientSession:
            token = base64.b64encode(f"{app.username}:{app.password}".encode()).decode()
            return aiohttp.ClientSession(
                headers={"Authorization": f"Basic {token}"},
                connector=aiohttp.TCPConnector(limit=4, ssl=self.context),
                timeout=aiohttp.ClientTimeout(total=30),
            )

        async def get(session: aiohttp.ClientSession, url: str) -> int:
            async with session.get(url) as response:
                await response.read()
                return response.status

        return await self._bound(selected, concurrency, session, get)

    def sequential(self, selected: list[App]) -> Cost:
        requests = failed = 0
        stop = self.meter.start()
        with httpx.Client(timeout=TIMEOUT) as client:
            for app in selected:

                def get(path: str, app: App = app) -> Any:
                    nonlocal requests, failed
                    requests += 1
                    response = client.get(app.url + path, auth=(app.username, app.password))
                    if response.status_code == 200:
                        return response.json()
                    failed += not _expected(path, response.status_code)
                    return None

                if app.type == "jira":
                    roles = get(jira.ROLES)
                    for key in [r["key"] for r in roles] if isinstance(roles, list) else []:
                        get(jira.LICENSE.format(key=key))
                else:
                    for path in (p for paths in app.rounds() for p in paths):
                        get(path)
        return stop(requests, failed)

    async def row(
        self, n: int, concurrency: int, runs: int, sequential_step: int | None
    ) -> SyncRow:
        """`sequential_step`: None = no sequential run, else its sampling step (1 = all)."""
        selected = self.apps[:n]
        costs: dict[str, list[Cost]] = {"exporter": [], "lower": []}
        for run in range(runs):
            # Alternate who goes first so that neither always meets a warmer simulator.
            for who in ("exporter", "lower") if run % 2 == 0 else ("lower", "exporter"):
                gc.collect()
                contender = self.exporter if who == "exporter" else self.lower
                costs[who].append(await contender(selected, concurrency))
        exporter, lower = median_cost(costs["exporter"]), median_cost(costs["lower"])
        row = SyncRow(n, concurrency, exporter, lower, runs=runs, all_exporter=costs["exporter"],
                      all_lower=costs["lower"])  # fmt: skip
        if sequential_step is not None:
            gc.collect()
            row.sequential = self.sequential(selected[::sequential_step]).times(sequential_step)
            row.sequential_scale = sequential_step
        return row

    async def verify_urls(self, sim_port: int, count: int) -> str:
        """Does the lower bound fetch exactly what the exporter fetches? Compared through the
        simulator's request log, for the first `count` applications."""
        selected = self.apps[:count]
        mismatches = []
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{sim_port}") as control:
            for app in selected:
                await control.delete(f"/-/sim/{app.name}/requests")
            await self.exporter(selected, 16)
            for app in selected:
                log = (await control.get(f"/-/sim/{app.name}/requests")).json()
                got = sorted(entry["path"] for entry in log)
                want = sorted(path for paths in app.rounds() for path in paths)
                if got != want:
                    mismatches.append(
                        f"{app.name} ({app.type}): exporter {got}, lower bound {want}"
                    )
        if mismatches:
            return f"NO, differences on {len(mismatches)} of {count}: {'; '.join(mismatches[:3])}"
        return f"yes, identical request paths for the first {count} applications"

    async def warm_up(self) -> None:
        """First requests of a process import lazily (~50 ms); keep that out of every figure."""
        selected = self.apps[:6]
        await self.exporter(selected, 16)
        await self.lower(selected, 16)
        self.sequential(selected[:3])
