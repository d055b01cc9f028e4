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


def short(filename: str) -> str:
    """A file's path from its package (site-packages, the stdlib, the bench's copy)."""
    if filename == "~":
        return "C functions"
    return re.sub(r".*/(site-packages|lib/python3\.\d+|work/[^/]+|bench/out/tree)/", "", filename)


def label(key: Key) -> str:
    filename, line, name = key
    return name if filename == "~" else f"{short(filename)}:{line}({name})"


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

    def by_file(self, count: int) -> list[tuple[str, float]]:
        """Own time summed per source file (C functions as one), the `count` largest."""
        sums: dict[str, float] = defaultdict(float)
        for (filename, _, _), (_, _, tottime, _, _) in self._raw().items():
            sums[short(filename)] += tottime
        return sorted(sums.items(), key=lambda kv: -kv[1])[:count]

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
    return notes
