"""Measuring one piece of work: wall time, this process's CPU, the simulator process's CPU."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.procs import Others, cpu_seconds


@dataclass(frozen=True)
class Cost:
    wall: float  # seconds
    cpu: float  # CPU seconds of this (the measuring) process
    sim_cpu: float  # CPU seconds of the simulator process meanwhile
    requests: int  # upstream requests made
    failed: int  # applications (or requests) that did not end as expected
    other: float = 0.0  # cores used by processes not ours meanwhile (see procs.Others)
    steal: float = 0.0  # cores stolen by the hypervisor meanwhile

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu / self.requests if self.requests else math.nan

    @property
    def sim_load(self) -> float:
        """Fraction of one core the simulator used."""
        return self.sim_cpu / self.wall if self.wall else math.nan


class Meter:
    def __init__(self, sim_pid: int) -> None:
        self.sim_pid = sim_pid

    async def run_async(self, work: Callable[[], Awaitable[tuple[int, int]]]) -> Cost:
        """`work` returns (requests, failed)."""
        others = Others([self.sim_pid])
        sim0, cpu0, t0 = cpu_seconds(self.sim_pid), time.process_time(), time.perf_counter()
        requests, failed = await work()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        sim = cpu_seconds(self.sim_pid) - sim0
        return Cost(wall, cpu, sim, requests, failed, *others.stop())

    def run_sync(self, work: Callable[[], tuple[int, int]]) -> Cost:
        others = Others([self.sim_pid])
        sim0, cpu0, t0 = cpu_seconds(self.sim_pid), time.process_time(), time.perf_counter()
        requests, failed = work()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        sim = cpu_seconds(self.sim_pid) - sim0
        return Cost(wall, cpu, sim, requests, failed, *others.stop())


def median_cost(costs: list[Cost]) -> Cost:
    """The run with the median wall time (its CPU figures stay consistent with it)."""
    ordered = sorted(costs, key=lambda c: c.wall)
    return ordered[(len(ordered) - 1) // 2]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]
