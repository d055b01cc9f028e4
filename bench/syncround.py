"""Section 1: a first full sync of N applications, exporter against the two baselines.

All three run in this process, one after the other, against the simulator process. The
exporter side is the real Poller (`run_due()` on a fresh Poller: every application is due).
Only the license syncs (exporter/sources) are measured: where the Poller also runs user scans
(a separate, hourly schedule with its own limit), they are switched off here with
`user_scans={}`. The shared SSLContext is built before the timed part for both async
contenders; the one-off ~65 ms it costs is part of the start-up figure instead.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import ssl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import aiohttp
import httpx

from bench.baselines import aiohttp_bound, lower_bound, sequential
from bench.measure import Cost, Meter, median_cost
from bench.procs import HOST
from bench.workload import App, config_dict, sample
from exporter.config.load import parse_config
from exporter.config.models import TLSConfig
from exporter.sources.http import SSLContexts
from exporter.sync.poller import AppState, Poller


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
    warm: Cost | None = None  # an immediate second sync by the same Poller

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
        return (await self.exporter_rounds(selected, concurrency, 1))[0]

    async def exporter_rounds(
        self, selected: list[App], concurrency: int, rounds: int
    ) -> list[Cost]:
        """The first full sync, then `rounds - 1` immediate re-syncs of every application
        by the same Poller (its clients keep their idle keep-alive connections)."""
        config = parse_config(config_dict(selected, concurrency))
        poller = Poller(config, contexts=self.contexts, **_NO_USER_SCANS)

        async def work() -> tuple[int, int]:
            await poller.run_due()
            failed = sum(1 for s in poller.states.values() if s.up is not True)
            return sum(app.requests() for app in selected), failed

        costs = []
        try:
            for _ in range(rounds):
                for state in poller.states.values():
                    state.next_due = 0.0
                gc.collect()
                costs.append(await self.meter.run_async(work))
        finally:
            await poller.close()
        self.last_states = dict(poller.states)
        return costs

    async def lower(self, selected: list[App], concurrency: int) -> Cost:
        clients: list[httpx.AsyncClient] = []
        try:
            return await self.meter.run_async(
                lambda: lower_bound(selected, concurrency, self.context, clients)
            )
        finally:
            for client in clients:
                await client.aclose()

    async def aiohttp(self, selected: list[App], concurrency: int) -> Cost:
        sessions: list[aiohttp.ClientSession] = []
        try:
            return await self.meter.run_async(
                lambda: aiohttp_bound(selected, concurrency, self.context, sessions)
            )
        finally:
            for session in sessions:
                await session.close()

    def sequential(self, selected: list[App]) -> Cost:
        return self.meter.run_sync(lambda: sequential(selected))

    async def row(
        self, n: int, concurrency: int, runs: int, with_sequential: int | None, warm: bool
    ) -> SyncRow:
        """`with_sequential`: None = no sequential run, else the sampling step (1 = all).
        `warm`: the first exporter run is followed by a measured second sync."""
        selected = self.apps[:n]
        exporter_costs: list[Cost] = []
        lower_costs: list[Cost] = []
        warm_cost: Cost | None = None
        for run in range(runs):
            # Alternate who goes first so that neither always meets a warmer simulator.
            order = ("exporter", "lower") if run % 2 == 0 else ("lower", "exporter")
            for who in order:
                gc.collect()
                if who == "exporter":
                    rounds = 2 if warm and run == 0 else 1
                    costs = await self.exporter_rounds(selected, concurrency, rounds)
                    exporter_costs.append(costs[0])
                    warm_cost = costs[1] if rounds == 2 else warm_cost
                else:
                    lower_costs.append(await self.lower(selected, concurrency))
        row = SyncRow(
            n,
            concurrency,
            median_cost(exporter_costs),
            median_cost(lower_costs),
            runs=runs,
            all_exporter=exporter_costs,
            all_lower=lower_costs,
            warm=warm_cost,
        )
        if with_sequential is not None:
            gc.collect()
            cost = self.sequential(sample(selected, with_sequential))
            row.sequential = scaled(cost, with_sequential)
            row.sequential_scale = with_sequential
        return row


# License syncs only: user scans (where this version of the Poller has them) are not part of
# what the lower bound fetches.
_NO_USER_SCANS = {"user_scans": {}} if "user_scans" in inspect.signature(Poller).parameters else {}


async def verify_urls(bench: SyncBench, sim_port: int, count: int) -> tuple[int, list[str]]:
    """Does the lower bound fetch exactly what the exporter fetches? Compared through the
    simulator's request log, for the first `count` applications."""
    selected = bench.apps[:count]
    mismatches = []
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{sim_port}") as control:
        for app in selected:
            await control.delete(f"/-/sim/{app.name}/requests")
        await bench.exporter(selected, 16)
        for app in selected:
            log = (await control.get(f"/-/sim/{app.name}/requests")).json()
            got = sorted(entry["path"] for entry in log)
            want = sorted(path for paths in app.rounds() for path in paths)
            if got != want:
                mismatches.append(f"{app.name} ({app.type}): exporter {got}, lower bound {want}")
    return len(selected), mismatches


def scaled(cost: Cost, k: int) -> Cost:
    return Cost(
        cost.wall * k,
        cost.cpu * k,
        cost.sim_cpu * k,
        cost.requests * k,
        cost.failed,
        cost.other,
        cost.steal,
    )


@contextmanager
def sniffio_cached() -> Iterator[None]:
    """httpcore 1.0.9 runs `import sniffio` on every lock/semaphore setup; without sniffio
    installed (anyio >= 4.11 no longer pulls it in) each call is a failed import that scans
    sys.path. A None in sys.modules answers the same ImportError at once."""
    had = "sniffio" in sys.modules
    previous = sys.modules.get("sniffio")
    sys.modules["sniffio"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if had:
            sys.modules["sniffio"] = previous  # type: ignore[assignment]
        else:
            del sys.modules["sniffio"]


async def warm_up(bench: SyncBench) -> None:
    """First requests of a process import lazily (~50 ms); keep that out of every figure."""
    selected = bench.apps[:6]
    await bench.exporter(selected, 16)
    await bench.lower(selected, 16)
    bench.sequential(selected[:3])
    await asyncio.sleep(0)
