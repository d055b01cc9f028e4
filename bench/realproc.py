"""Sections 2 (over HTTP), 3 and 4: the real exporter process started with the CLI.

Each exporter process runs with the default max_concurrent_syncs (16) against the shared
simulator process; sync_interval is 5m, so nothing re-syncs while it is measured.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import Latency
from bench.procs import (
    Others,
    Proc,
    cpu_seconds,
    memory_kib,
    start_exporter,
    start_reference_server,
)
from bench.reference import families_from_exposition, samples
from bench.scrape import scrape
from bench.workload import App, config_dict


@dataclass
class Started:
    n: int
    listening: float  # seconds from Popen to the first /-/healthy 200
    ready: float  # ... to /-/ready 200
    metrics_ok: float  # ... to a /metrics 200 with sync_up 1 for every application
    cpu_at_ready: float  # process CPU seconds by then
    other: float = 0.0  # cores used by processes not ours until ready
    after_cores: float = 0.0  # the process's CPU use in the 2 s after ready + scrapes
    hwm_ready_kib: int = 0  # peak RSS right after the first full sync
    hwm_kib: int = 0  # peak RSS after the first sync and a few scrapes
    rss_kib: int = 0


def run_exporter(
    name: str, selected: list[App], log_dir: Path, *, step: float, sim_pid: int, keep: bool = False
) -> tuple[Started, Proc]:
    """Start, wait for the first full sync, scrape a few times, read the peak RSS.
    The process is stopped unless `keep`."""
    proc = start_exporter(name, config_dict(selected), log_dir)
    try:
        others = Others([proc.pid, sim_pid])
        listening = proc.wait_for("/-/healthy", 180, step)
        ready = proc.wait_for("/-/ready", 180, step)
        cpu = cpu_seconds(proc.pid)
        other = others.stop()
        status, body = proc.get("/metrics")
        metrics_ok = time.perf_counter() - proc.started
        up = {k["application"]: v for k, v in samples(body.decode(), "atlassian_license_sync_up")}
        missing = [a.name for a in selected if up.get(a.name) != 1]
        if status != 200 or missing:
            raise RuntimeError(f"{name}: /metrics {status}, sync_up != 1 for {missing[:5]}")
        started = Started(len(selected), listening, ready, metrics_ok, cpu, other)
        started.hwm_ready_kib = memory_kib(proc.pid)["VmHWM"]
        for _ in range(5):
            if proc.get("/metrics")[0] != 200:
                raise RuntimeError(f"{name}: /metrics failed")
        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        time.sleep(2.0)
        started.after_cores = (cpu_seconds(proc.pid) - cpu0) / (time.perf_counter() - t0)
        mem = memory_kib(proc.pid)
        started.hwm_kib, started.rss_kib = mem["VmHWM"], mem["VmRSS"]
    except BaseException:
        proc.stop()
        raise
    if not keep:
        proc.stop()
    return started, proc


@dataclass
class HttpScrape:
    exporter: dict[str, Latency] = field(default_factory=dict)
    reference: dict[str, Latency] = field(default_factory=dict)
    cached: dict[str, Latency] = field(default_factory=dict)
    other: dict[str, float] = field(default_factory=dict)  # cores used by others, per target
    hwm_after_kib: int = 0
    samples: int = 0


# Time caps (s) of the sequential, concurrent and gzip series per target: the counts are
# maxima; on a slow or busy machine a series stops at its cap (the table shows the count).
# Whatever the caps, a series keeps at least 5 requests (scrape's min_count).
CAPS = {"exporter": (30.0, 10.0, 5.0), "reference": (8.0, 5.0, 3.0), "cached": (3.0, 2.0, 2.0)}


async def _series(
    port: int, path: str, counts: tuple[int, int, int], caps: tuple[float, ...]
) -> dict[str, Latency]:
    sequential, concurrent, gzip = counts
    return {
        "sequential": await scrape(port, path, sequential, time_cap=caps[0]),
        "concurrent x4": await scrape(port, path, concurrent, concurrency=4, time_cap=caps[1]),
        "sequential gzip": await scrape(port, path, gzip, gzip=True, time_cap=caps[2]),
    }


def http_scrape(
    proc: Proc,
    log_dir: Path,
    exporter_counts: tuple[int, int, int],
    reference_counts: tuple[int, int, int],
    cap_scale: float = 1.0,
) -> HttpScrape:
    """Exporter process vs the reference server process, the same samples, the same stack."""
    status, body = proc.get("/metrics")
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    families = families_from_exposition(body.decode())
    samples_path = log_dir / "reference-samples.json"
    samples_path.write_text(json.dumps(families))
    ref = start_reference_server(samples_path, log_dir)
    try:
        out = HttpScrape(samples=sum(len(f["samples"]) for f in families))
        for target, server, path, counts in (
            ("exporter", proc.port, "/metrics", exporter_counts),
            ("reference", ref.port, "/metrics", reference_counts),
            ("cached", ref.port, "/cached", exporter_counts),
        ):
            others = Others([proc.pid, ref.pid])
            caps = tuple(cap * cap_scale for cap in CAPS[target])
            setattr(out, target, asyncio.run(_series(server, path, counts, caps)))
            out.other[target] = others.stop()
        out.hwm_after_kib = memory_kib(proc.pid)["VmHWM"]
    finally:
        ref.stop()
    return out
