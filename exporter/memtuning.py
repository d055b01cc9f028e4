"""glibc malloc settings for the exporter's peak RSS (issue #15).

The first sync runs 64 license syncs and 64 user scans at once; their buffers (response
bodies, parsed JSON, the /metrics body of ~20 MiB at 10,000 applications) are freed when
each sync ends, but glibc keeps freed memory in its heaps: the dynamic mmap threshold rises
to the largest block freed so far, so later big buffers come from the heap too and stay
resident, fragmented, and every thread that mallocs (the gzip of /metrics in the default
executor, getaddrinfo) may get an arena of its own. Set at start-up, before those buffers:

- M_MMAP_THRESHOLD fixed at 128 KiB: blocks above it are mmapped and returned at free
  (setting it also turns off glibc's dynamic threshold);
- M_ARENA_MAX 2: the loop's thread and the executor's share two arenas, not 8 per core.

Linux/glibc only: elsewhere (musl, macOS) this is a no-op, and a failure never stops the
start: these settings only change how much memory is kept, never behaviour.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Final, Protocol

log = logging.getLogger(__name__)

# glibc's malloc.h parameter numbers.
M_TRIM_THRESHOLD: Final = -1
M_MMAP_THRESHOLD: Final = -3
M_ARENA_MAX: Final = -8

SETTINGS: Final = ((M_MMAP_THRESHOLD, 128 * 1024), (M_ARENA_MAX, 2))


class Libc(Protocol):
    def mallopt(self, param: int, value: int) -> int: ...


def glibc() -> Libc | None:
    """The process's C library if it is glibc (it alone has mallopt with these numbers)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.gnu_get_libc_version  # noqa: B018  (glibc only: AttributeError elsewhere)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def tune(libc: Libc | None = None) -> bool:
    """Apply SETTINGS; True if every one was accepted. Never raises."""
    if libc is None:
        libc = glibc()
    if libc is None:
        log.debug("malloc tuning skipped reason=no_glibc")
        return False
    ok = True
    for param, value in SETTINGS:
        try:
            accepted = libc.mallopt(param, value) == 1  # mallopt returns 1 on success
        except Exception:  # a broken libc binding must not stop the start
            accepted = False
        if not accepted:
            log.warning("malloc tuning refused param=%d value=%d", param, value)
        ok = ok and accepted
    return ok
