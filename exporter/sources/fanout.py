"""Parallel requests of one sync that fail together: the first failure cancels the others.

asyncio.gather raised the first error but left its siblings running, holding connections of
the link's small pool (and the upstream's time) for a sync that had already failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def all_of(*coros: Coroutine[Any, Any, T]) -> list[T]:
    """The results in order; on a failure the rest are cancelled and that failure is raised
    as it is (not as an ExceptionGroup), so its reason stays the sync's reason."""
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coro) for coro in coros]
    except* Exception as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]
