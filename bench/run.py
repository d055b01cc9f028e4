"""The exporter's benchmark: sync round, scrape cost, memory, start-up, and profiles.

    .venv/bin/python bench/run.py           # full run (< 5 min on 2 cores), updates RESULTS.md
    .venv/bin/python bench/run.py --quick   # smoke run (N <= 100), writes bench/out/quick.md

Everything runs on 127.0.0.1: one simulator process (50 ms added latency) serves every
application; exporter processes, the reference server and the bench itself talk to it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.tree import ROOT, TREE, snapshot  # imports no exporter module

# Every exporter import below, in this process and in every process started, is of this copy.
sys.path.insert(0, str(snapshot()))
SNAPSHOT_AT = time.strftime("%H:%M:%S")

from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402
from prometheus_client.exposition import choose_encoder  # noqa: E402

from bench import findings, realproc  # noqa: E402
from bench.measure import Cost, Meter  # noqa: E402
from bench.procs import BENCH, Proc, import_floor_kib, quiet_machine, start_simulator  # noqa: E402
from bench.profiling import profile_async, profile_sync  # noqa: E402
from bench.reference import build_registry, families_from_exposition, sample_lines  # noqa: E402
from bench.report import ProfileSummary, Results, machine, render, write_results  # noqa: E402
from bench.scrape import Latency, time_renders  # noqa: E402
from bench.syncround import SyncBench, SyncRow, sniffio_cached, verify_urls, warm_up  # noqa: E402
from bench.workload import LATENCY_MS, App, apps  # noqa: E402
from exporter.serve.collector import LicenseCollector, ReloadStatus  # noqa: E402
from exporter.serve.exposition import IncrementalRenderer  # noqa: E402
from exporter.sync.poller import AppState  # noqa: E402

# Everything is imported: give this process the sys.path of `python -m exporter` (the copy,
# then the interpreter's own entries). httpcore 1.0.9 runs a failing `import sniffio` several
# times per request and each one scans every sys.path entry, so extra entries (bench/, the
# repository) would inflate the in-process exporter's and lower bound's CPU.
_OURS = {str(ROOT), str(ROOT / "bench"), str(TREE)}
sys.path[:] = [str(TREE), *(p for p in sys.path if p not in _OURS)]

OUT = BENCH / "out"
# The simulator keeps up at this concurrency if it needs less than this share of its core.
SIM_HEADROOM = 0.85


@dataclass(frozen=True)
class Plan:
    quick: bool
    sim_instances: int
    # (N, max_concurrent_syncs values, runs per value, sequential sampling step)
    sync: tuple[tuple[int, tuple[int, ...], tuple[int, ...], int], ...]
    big: int  # N of the what-if, the profiles, the scrape and the large memory run
    render_calls: int
    # HTTP scrapes (sequential, concurrent x4, sequential gzip): the exporter's, and the
    # reference's (fewer: its p50 is what a ratio needs; at N = 1000 a render costs ~0.3 s).
    http_exporter: tuple[int, int, int]
    http_reference: tuple[int, int, int]
    profiled_renders: int
    startup_runs: int
    memory_ns: tuple[int, ...]
    warm_n: int  # N of the immediate second sync on warm connections (highest concurrency)
    budget: float  # seconds; optional parts are skipped when the run falls behind it


FULL = Plan(
    quick=False,
    sim_instances=1000,
    # N = 1000 at C = 64 is the goal's row: 3 runs, since one run of each side swung the ratio
    # between 0.83 and 1.78 on an idle machine (about 17 s per run of both).
    sync=((10, (16,), (3,), 1), (100, (16, 64), (2, 2), 2), (1000, (16, 64), (1, 3), 20)),
    big=1000,
    render_calls=10,
    http_exporter=(100, 16, 10),
    http_reference=(20, 8, 5),
    profiled_renders=5,
    startup_runs=3,
    memory_ns=(10, 1000),
    warm_n=100,
    budget=280.0,
)
QUICK = Plan(
    quick=True,
    sim_instances=100,
    sync=((10, (16,), (2,), 1), (100, (16, 64), (1, 1), 5)),
    big=100,
    render_calls=30,
    http_exporter=(60, 16, 10),
    http_reference=(30, 8, 5),
    profiled_renders=10,
    startup_runs=1,
    memory_ns=(10, 100),
    warm_n=100,
    budget=110.0,
)


class Budget:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _cost(c: Cost) -> str:
    return f"wall {c.wall:.2f}s cpu {c.cpu:.2f}s sim {100 * c.sim_load:.0f}%"


async def sync_section(
    plan: Plan, bench: SyncBench, sim_port: int
) -> tuple[list[SyncRow], dict[str, AppState], int, str, str]:
    await warm_up(bench)
    checked, mismatches = await verify_urls(bench, sim_port, 30)
    if mismatches:
        same_urls = f"NO, differences on {len(mismatches)} of {checked}: " + "; ".join(
            mismatches[:3]
        )
    else:
        same_urls = f"yes, identical request paths for the first {checked} applications"
    say(f"lower bound fetches the exporter's URLs: {same_urls}")
    rows: list[SyncRow] = []
    states: dict[str, AppState] = {}
    for n, concurrencies, all_runs, step in plan.sync:
        for index, (concurrency, runs) in enumerate(zip(concurrencies, all_runs, strict=True)):
            # The highest concurrency at warm_n also re-syncs on warm connections.
            warm = n == plan.warm_n and index == len(concurrencies) - 1
            row = await bench.row(n, concurrency, runs, step if index == 0 else None, warm)
            rows.append(row)
            if n == plan.big:
                states = bench.last_states
            say(
                f"sync N={n} C={concurrency}: exporter {_cost(row.exporter)} | "
                f"lower bound {_cost(row.lower)}"
                + (f" | sequential {_cost(row.sequential)}" if row.sequential else "")
            )
    high = [r for r in rows if r.n == plan.big and r.concurrency > 16]
    if high and max(high[0].exporter.sim_load, high[0].lower.sim_load) < SIM_HEADROOM:
        load = max(high[0].exporter.sim_load, high[0].lower.sim_load)
        why = (
            f"the simulator process kept up at {high[0].concurrency}: it used at most "
            f"{100 * load:.0f}% of its core"
        )
        return rows, states, high[0].concurrency, why, same_urls
    why = "the default; the simulator process did not keep up beyond it"
    return rows, states, 16, why, same_urls


async def whatif_and_profile(
    plan: Plan, bench: SyncBench, big_row: SyncRow, budget: Budget
) -> tuple[dict[str, Cost], ProfileSummary]:
    selected = bench.apps[: plan.big]
    concurrency = big_row.concurrency
    whatif: dict[str, Cost] = {}
    # Still to come after the what-if: the profile (~2.5 syncs), the render, the processes
    # (about 100 s at N = 1000, measured).
    needed = 2.5 * big_row.exporter.wall + (100 if not plan.quick else 40)
    if budget.left() - needed > 1.6 * big_row.exporter.wall:
        with sniffio_cached():
            gc.collect()
            whatif["exporter"] = await bench.exporter(selected, concurrency)
        say(f"what-if sniffio cached: exporter {_cost(whatif['exporter'])}")
        gc.collect()
        whatif["aiohttp"] = await bench.aiohttp(selected, concurrency)
        say(f"what-if lower bound with aiohttp's client: {_cost(whatif['aiohttp'])}")
    else:
        say("what-ifs: skipped, the run is behind its time budget")
    gc.collect()
    profile = await profile_async(lambda: bench.exporter(selected, concurrency))
    profile.dump(OUT / "profile-sync.txt")
    requests = sum(app.requests() for app in selected)
    summary = ProfileSummary(
        f"Sync round, exporter side, N = {plan.big}, max_concurrent_syncs = {concurrency}",
        profile,
        big_row.exporter.cpu,
        findings.sync_notes(profile, requests),
    )
    return whatif, summary


def render_section(
    plan: Plan, states: dict[str, AppState]
) -> tuple[dict[str, Latency], bool, int, ProfileSummary]:
    now = time.time()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        LicenseCollector(lambda: states, reload_status=lambda: ReloadStatus(True, now))
    )
    exposition = generate_latest(registry)
    reference = build_registry(families_from_exposition(exposition.decode()))
    lines = sample_lines(exposition)
    identical = lines == sample_lines(generate_latest(reference))
    # What /metrics really does: the incremental renderer, after one sync ended (one
    # application's state changed) and with nothing changed (a re-render at MAX_AGE).
    collector = LicenseCollector(lambda: states, reload_status=lambda: ReloadStatus(True, now))
    incremental = IncrementalRenderer(collector)
    text = choose_encoder("")
    if incremental(*text) != exposition:
        raise RuntimeError("the incremental renderer differs from generate_latest")
    names = itertools.cycle(sorted(states))

    def one_changed() -> bytes:
        state = states[next(names)]
        state.last_duration = (state.last_duration or 0.0) + 0.001
        return incremental(*text)

    results = time_renders(
        {
            "exporter": lambda: generate_latest(registry),
            "reference": lambda: generate_latest(reference),
            "one changed": one_changed,
            "none changed": lambda: incremental(*text),
        },
        plan.render_calls,
        30,
    )
    say(
        f"render N={plan.big}: exporter p50 {results['exporter'].p50_ms:.2f} ms, "
        f"reference p50 {results['reference'].p50_ms:.2f} ms"
    )
    renders = plan.profiled_renders
    profile = profile_sync(lambda: [generate_latest(registry) for _ in range(renders)])
    profile.dump(OUT / "profile-render.txt")
    summary = ProfileSummary(
        f"/metrics render, exporter registry, N = {plan.big} ({renders} renders)",
        profile,
        results["exporter"].mean_ms * renders / 1000,
        findings.render_notes(profile, renders),
    )
    return results, identical, len(lines), summary


def process_section(
    plan: Plan, selected_all: list[App], logs: Path, sim_pid: int, budget: Budget, sync_s: float
) -> tuple[list[realproc.Started], list[realproc.Started], realproc.HttpScrape]:
    """`sync_s`: wall time of the in-process first sync at the largest N, default limit."""
    startup = []
    for run in range(plan.startup_runs):
        # Still to come: the memory runs (about one sync each) and the HTTP series (<= 70 s).
        if run and budget.left() < 2 * sync_s + (80 if not plan.quick else 30):
            say("start-up: further runs skipped, the run is behind its time budget")
            break
        started, _, _ = realproc.run_exporter(
            f"startup-{run}", selected_all[:100], logs, step=0.01, sim_pid=sim_pid
        )
        startup.append(started)
        say(f"start-up N=100: ready after {started.ready:.2f}s")
    memory = []
    kept: tuple[Proc, int] | None = None
    try:
        for n in plan.memory_ns:
            big = n == plan.big
            started, proc, port = realproc.run_exporter(
                f"memory-{n}",
                selected_all[:n],
                logs,
                step=0.01 if n <= 100 else 0.05,
                sim_pid=sim_pid,
                keep=big,
            )
            if big:
                kept = (proc, port)
            memory.append(started)
            say(f"memory N={n}: VmHWM {started.hwm_kib / 1024:.1f} MiB, ready {started.ready:.2f}s")
        if kept is None:
            raise RuntimeError("no exporter process at the scrape N")
        # The HTTP series' time caps shrink (to half at most) when the run is behind.
        scale = min(1.0, max(0.5, (budget.left() - 5) / 60))
        http = realproc.http_scrape(
            kept[0], kept[1], logs, plan.http_exporter, plan.http_reference, scale
        )
        say(
            f"HTTP scrape N={plan.big}: exporter p50 {http.exporter['sequential'].p50_ms:.2f} ms,"
            f" reference p50 {http.reference['sequential'].p50_ms:.2f} ms"
        )
    finally:
        if kept is not None:
            kept[0].stop()
    return startup, memory, http


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fast smoke variant (N <= 100)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    began = time.perf_counter()
    budget = Budget(plan.budget)
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # One reading, no waiting: on this shared machine other people's work rarely pauses.
    other = quiet_machine(limit=0.3, wait=0)
    say(f"other processes use {other:.2f} cores before the run")
    say(f"starting the simulator ({plan.sim_instances} instances, {LATENCY_MS} ms latency)")
    sim, sim_port = start_simulator(plan.sim_instances, LATENCY_MS, logs)
    try:
        selected_all = apps(f"http://127.0.0.1:{sim_port}", plan.sim_instances)
        bench = SyncBench(Meter(sim.pid), selected_all)
        rows, states, chosen, why, same_urls = asyncio.run(sync_section(plan, bench, sim_port))
        big_row = next(r for r in rows if r.n == plan.big and r.concurrency == chosen)
        whatif, sync_profile = asyncio.run(whatif_and_profile(plan, bench, big_row, budget))
        render_results, identical, samples, render_profile = render_section(plan, states)
        floor = import_floor_kib()
        default_row = next(r for r in rows if r.n == plan.big and r.concurrency == 16)
        startup, memory, http = process_section(
            plan, selected_all, logs, sim.pid, budget, default_row.exporter.wall
        )
    finally:
        sim.stop()
    results = Results(
        quick=plan.quick,
        machine=machine(),
        sync_rows=rows,
        chosen_c=chosen,
        chosen_why=why,
        same_urls=same_urls,
        whatif_n=plan.big,
        whatif_sync=whatif,
        render_n=plan.big,
        render=render_results,
        identical_samples=identical,
        render_samples=samples,
        http_n=plan.big,
        http=http,
        startup=startup,
        memory=memory,
        floor_kib=floor,
        other_before=other,
        snapshot_at=SNAPSHOT_AT,
        profiles=[sync_profile, render_profile],
        elapsed=time.perf_counter() - began,
    )
    text = render(results)
    print(text)
    if plan.quick:
        (OUT / "quick.md").write_text(text)
        say(f"written to {OUT / 'quick.md'}")
    else:
        write_results(BENCH / "RESULTS.md", text)
        say(f"written to {BENCH / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
