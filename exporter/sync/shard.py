"""Sharding: n replicas split the applications between them with no coordination.

Each replica keeps the applications whose stable hash of the name falls in its shard, so a
replica that restarts, or a config reloaded on all replicas, never moves an application
between shards unless n changes.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
from dataclasses import dataclass

from exporter.config.targets import Targets


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def owns(self, name: str) -> bool:
        # sha256, not hash(): Python's str hash is salted per process.
        digest = hashlib.sha256(name.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index


def parse_shard(value: str) -> Shard:
    index, sep, count = value.partition("/")
    if not sep or not index.isdigit() or not count.isdigit() or not 0 <= int(index) < int(count):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not i/n with 0 <= i < n (e.g. 0/3 for the first of three replicas)"
        )
    return Shard(int(index), int(count))


def select(targets: Targets, shard: Shard | None) -> Targets:
    if shard is None:
        return targets
    owned = tuple(target for target in targets.targets if shard.owns(target.name))
    return dataclasses.replace(targets, targets=owned)
