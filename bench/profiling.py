"""cProfile runs summarised: time by component, top functions, and named hot spots."""

from __future__ import annotations

import cProfile
import io
import pstats
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

# pstats' function key: (filename, line, name)
Key = tuple[str, int, str]

_COMPONENTS = [
    ("failed `import sniffio` (importlib path scan)", re.compile(r"importlib|_distutils_hack")),
    ("httpx", re.compile(r"site-packages/httpx/")),
    ("httpcore", re.compile(r"site-packages/httpcore/")),
    ("h11", re.compile(r"site-packages/h11/")),
    ("anyio", re.compile(r"site-packages/anyio/")),
    ("aiohttp", re.compile(r"site-packages/aiohttp/")),
    ("prometheus_client", re.compile(r"site-packages/prometheus_client/")),
    ("exporter", re.compile(r"/exporter/")),
    ("asyncio (stdlib)", re.compile(r"/asyncio/")),
    ("json (stdlib)", re.compile(r"/json/")),
    ("ssl (stdlib)", re.compile(r"/ssl\.py")),
    ("other Python", re.compile(r"\.py$")),
    ("generated code (namedtuple/dataclass __new__/__init__)", re.compile(r"^<string>$")),
]


def component(key: Key) -> str:
    filename, _, name = key
    if filename == "~":  # C functions
        if "posix.stat" in name or "_imp." in name:
            return "failed `import sniffio` (importlib path scan)"
        if "_socket.socket" in name or "select.epoll" in name:
            return "socket syscalls"
        if "json" in name or "scanner" in name:
            return "json (stdlib)"
        return "C builtins (isinstance, str, dict, ...)"
    for label, pattern in _COMPONENTS:
        if pattern.search(filename):
            return label
    return "other"


@dataclass
class Profile:
    stats: pstats.Stats
    total: float  # profiled seconds (cProfile's own clock; inflated by profiling)

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

    def dump(self, path: Path, count: int = 60) -> None:
        out = io.StringIO()
        self.stats.stream = out  # type: ignore[attr-defined]
        self.stats.sort_stats("tottime").print_stats(count)
        self.stats.sort_stats("cumulative").print_stats(count)
        path.write_text(out.getvalue())

    def _raw(self) -> dict[Key, tuple[int, int, float, float, object]]:
        return self.stats.stats  # type: ignore[attr-defined, no-any-return]


def label(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    short = re.sub(r".*/(site-packages|lib/python3\.\d+|work/main)/", "", filename)
    return f"{short}:{line}({name})"


async def profile_async(work: Callable[[], Awaitable[object]]) -> Profile:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        await work()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    return Profile(stats, stats.total_tt)  # type: ignore[attr-defined]


def profile_sync(work: Callable[[], object]) -> Profile:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        work()
    finally:
        profiler.disable()
    stats = pstats.Stats(profiler)
    return Profile(stats, stats.total_tt)  # type: ignore[attr-defined]
