"""Measuring work: wall time, this process's CPU, the simulator's CPU; latency summaries;
the Markdown tables every entry point prints."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
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

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu / self.requests if self.requests else math.nan

    @property
    def sim_load(self) -> float:
        """Fraction of one core the simulator used."""
        return self.sim_cpu / self.wall if self.wall else math.nan

    def times(self, k: int) -> Cost:
        """This cost k times over (a sampled run scaled up); failures stay as counted."""
        k_times = (self.wall * k, self.cpu * k, self.sim_cpu * k, self.requests * k)
        return Cost(*k_times, self.failed, self.other)


class Meter:
    def __init__(self, sim_pid: int) -> None:
        self.sim_pid = sim_pid

    def start(self) -> Callable[[int, int], Cost]:
        """Starts measuring; call the result with (requests, failed) when the work is done."""
        others = Others([self.sim_pid])
        sim0, cpu0, t0 = cpu_seconds(self.sim_pid), time.process_time(), time.perf_counter()

        def stop(requests: int, failed: int) -> Cost:
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            sim = cpu_seconds(self.sim_pid) - sim0
            return Cost(wall, cpu, sim, requests, failed, others.stop())

        return stop


def median_cost(costs: list[Cost]) -> Cost:
    """The run with the median wall time (its CPU figures stay consistent with it)."""
    return sorted(costs, key=lambda c: c.wall)[(len(costs) - 1) // 2]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    body_bytes: int
    wall: float

    @property
    def per_second(self) -> float:
        return self.count / self.wall if self.wall else 0.0


def summarize(seconds: list[float], body_bytes: int, wall: float) -> Latency:
    mean = 1000 * sum(seconds) / len(seconds) if seconds else 0.0
    p50, p99 = 1000 * percentile(seconds, 50), 1000 * percentile(seconds, 99)
    return Latency(len(seconds), p50, p99, mean, body_bytes, wall)


def time_renders(
    renders: dict[str, Callable[[], bytes]], count: int, time_cap: float
) -> dict[str, Latency]:
    """Calls each render `count` times, interleaved (one of each in turn, so a busy spell on
    the machine hits all of them alike), stopping early after `time_cap` seconds."""
    seconds: dict[str, list[float]] = {name: [] for name in renders}
    sizes = dict.fromkeys(renders, 0)
    deadline = time.monotonic() + time_cap
    started = time.perf_counter()
    for _ in range(count):
        for name, render in renders.items():
            t0 = time.perf_counter()
            sizes[name] = len(render())
            seconds[name].append(time.perf_counter() - t0)
        if time.monotonic() > deadline:
            break
    wall = time.perf_counter() - started
    return {name: summarize(seconds[name], sizes[name], wall) for name in renders}


def table(header: str, rows: Iterable[Iterable[object]]) -> list[str]:
    """A Markdown table; `header` is its column names joined by " | "."""
    lines = [f"| {header} |", "|" + "---|" * (header.count(" | ") + 1)]
    return lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows]
