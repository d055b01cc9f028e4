"""cProfile runs summarised: time by component, top functions, and named hot spots."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# pstats' function key: (filename, line, name); value: (cc, nc, tottime, cumtime, callers)
Key = tuple[str, int, str]

_COMPONENTS = [
    ("imports at run time (importlib)", r"importlib|_distutils_hack"),
    *((name, f"site-packages/{name}/") for name in ("httpx", "httpcore", "h11", "anyio")),
    *((name, f"site-packages/{name}/") for name in ("aiohttp", "prometheus_client")),
    ("exporter", r"/exporter/"),
    ("asyncio (stdlib)", r"/asyncio/"),
    ("json (stdlib)", r"/json/"),
    ("ssl (stdlib)", r"/ssl\.py"),
    ("other Python", r"\.py$"),
    ("generated code (namedtuple/dataclass __new__/__init__)", r"^<string>$"),
]


def component(key: Key) -> str:
    filename, _, name = key
    if filename == "~":  # C functions
        if "posix.stat" in name or "_imp." in name:
            return "imports at run time (importlib)"
        if "_socket.socket" in name or "select.epoll" in name:
            return "socket syscalls"
        if "json" in name or "scanner" in name:
            return "json (stdlib)"
        return "C builtins (isinstance, str, dict, ...)"
    return next((label for label, rx in _COMPONENTS if re.search(rx, filename)), "other")


def label(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    short = re.sub(r".*/(site-packages|lib/python3\.\d+|work/[^/]+|bench/out/tree)/", "", filename)
    return f"{short}:{line}({name})"


class Profile:
    def __init__(self) -> None:
        self.stats: pstats.Stats | None = None
        self.total = 0.0  # profiled seconds (cProfile's own clock; inflated by profiling)

    def _raw(self) -> dict[Key, tuple[int, int, float, float, object]]:
        return getattr(self.stats, "stats", {})

    def by_component(self) -> list[tuple[str, float]]:
        sums: dict[str, float] = defaultdict(float)
        for key, (_, _, tottime, _, _) in self._raw().items():
            sums[component(key)] += tottime
        return sorted(sums.items(), key=lambda kv: -kv[1])

    def top(self, count: int) -> list[tuple[str, int, float, float]]:
        """(function, calls, tottime, cumtime), by tottime."""
        rows = sorted(self._raw().items(), key=lambda kv: -kv[1][2])[:count]
        return [(label(key), nc, tt, ct) for key, (_, nc, tt, ct, _) in rows]

    def function(self, filename_part: str, name: str) -> tuple[int, float, float]:
        """(calls, tottime, cumtime) summed over functions matching; cumtime is only
        meaningful for plain functions (a coroutine is 'called' at every resumption)."""
        calls, tottime, cumtime = 0, 0.0, 0.0
        for (filename, _, fname), (_, nc, tt, ct, _) in self._raw().items():
            if filename_part in filename and fname == name:
                calls, tottime, cumtime = calls + nc, tottime + tt, cumtime + ct
        return calls, tottime, cumtime

    def own(self, *filename_parts: str) -> float:
        """Own time of every function in files whose name contains one of the parts."""
        raw = self._raw().items()
        return sum(v[2] for (f, _, _), v in raw if any(p in f for p in filename_parts))

    def share(self, seconds: float) -> str:
        return f"{100 * seconds / self.total:.0f}%"

    def dump(self, path: Path, count: int = 60) -> None:
        out = io.StringIO()
        if self.stats is not None:
            self.stats.stream = out  # type: ignore[attr-defined]
            self.stats.sort_stats("tottime").print_stats(count)
            self.stats.sort_stats("cumulative").print_stats(count)
        path.write_text(out.getvalue())


@contextmanager
def profiled() -> Iterator[Profile]:
    """The block runs under cProfile; the Profile is filled in when it ends."""
    profile, profiler = Profile(), cProfile.Profile()
    profiler.enable()
    try:
        yield profile
    finally:
        profiler.disable()
        profile.stats = pstats.Stats(profiler)
        profile.total = profile.stats.total_tt  # type: ignore[attr-defined]


def sync_notes(profile: Profile, requests: int) -> list[str]:
    notes = []
    calls, _, cum = profile.function("httpcore/_synchronization.py", "current_async_library")
    if calls:
        notes.append(
            f"httpcore `current_async_library()`: {calls} calls ({calls / requests:.1f} per "
            f"request), {cum:.2f} s cumulative = {profile.share(cum)} of the profile, "
            f"{1000 * cum / calls:.3f} ms per call (each runs `import sniffio`)."
        )
    calls, _, cum = profile.function("json/__init__.py", "loads")
    notes.append(f"`json.loads`: {calls} calls, {cum:.3f} s cumulative = {profile.share(cum)}.")
    checks = ("as_object", "as_list", "integer", "boolean", "text", "epoch_ms")
    parse = sum(profile.function("exporter/sources/parse.py", name)[1] for name in checks)
    notes.append(f"`exporter/sources/parse.py` field checks: {parse:.3f} s own time.")
    for part, what in (
        ("exporter/sources/http.py", "exporter/sources/http.py (LinkClient, client build)"),
        ("exporter/sync/", "exporter/sync/* (poller)"),
        ("exporter/sources/", "exporter/sources/*"),
        ("asyncio/timeouts.py", "asyncio.timeout() (one per request in LinkClient.get_json)"),
        ("httpx/_client.py", "httpx/_client.py"),
        ("httpx/_urlparse.py", "httpx URL parsing"),
        ("httpcore/_async/connection_pool.py", "httpcore connection pool bookkeeping"),
        ("anyio/", "anyio (socket streams, cancel scopes, locks)"),
    ):
        own = profile.own(part)
        notes.append(f"Own time in {what}: {own:.3f} s = {profile.share(own)}.")
    return notes


def render_notes(profile: Profile, renders: int) -> list[str]:
    notes = []
    for part, name, what in (
        ("prometheus_client/exposition.py", "generate_latest", "`generate_latest` (whole render)"),
        ("prometheus_client/exposition.py", "sample_line", "`generate_latest.sample_line`"),
        ("prometheus_client/utils.py", "floatToGoString", "`floatToGoString`"),
        ("prometheus_client/metrics_core.py", "add_metric", "`GaugeMetricFamily.add_metric`"),
        ("prometheus_client/samples.py", "__new__", "`Sample` namedtuple creation"),
    ):
        calls, own, cum = profile.function(part, name)
        if calls:
            notes.append(
                f"{what}: {calls // renders} calls per render, {1000 * cum / renders:.2f} ms "
                f"per render cumulative ({1000 * own / renders:.2f} ms own)."
            )
    own = profile.own("exporter/serve/collector.py", "exporter/sync/poller.py")
    notes.append(
        "Own time in exporter/serve/collector.py + sync/poller.py (`collect`, `_add_license`, "
        f"`_add_sync`, `fresh_snapshot`): {1000 * own / renders:.2f} ms per render."
    )
    return notes
