"""Garbage-collector settings for a process that holds thousands of applications.

CPython's cyclic collector traverses every tracked object of the generations it collects. At
3,000 applications the first sync (64 at a time) spent 4.0 of its 15.8 s of CPU in the
collector, its full collections pausing the event loop up to 151 ms each (bench/RESULTS.md,
issue #15): the cost of a sync then grows with N, since each full collection walks every
application's configuration, state and snapshots. Freezing what start-up built (imports,
the parsed configuration, targets, states: all kept for the life of the process) takes it out
of every later collection, and a larger first threshold makes collections of young objects
rarer (each walks the objects of the syncs in flight, however many were allocated since).
Measured at 3,000 applications: 1.4 s in the collector instead of 4.0 s, no full collection.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Final

# gen0 objects before a young collection (CPython's default: 700); gen1 and gen2 as default.
THRESHOLDS: Final = (10_000, 10, 10)


def tune() -> None:
    """After start-up built its long-lived objects; cyclic garbage is still collected later.

    No gc.collect() first: at 10,000 applications it found nothing to free and took 0.1 s of
    the start-up (start-up builds no cycles worth a collection)."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collection while start-up builds the configuration, targets and states: everything
    it allocates is kept, so a collection would only walk it (10,000 applications load in
    0.9 s instead of 1.6 s). Restored as it was afterwards, also after an error."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
