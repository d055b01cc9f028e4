"""Simulated user populations: deterministic from a seed and the clock, generated lazily.

`user(i, now)` needs no other user, so serving page 97 of 100,000 users costs one page of
work and memory. Within each block of 100 users the first ones are licensed, then unlicensed,
then deactivated, so the j-th licensed user is found by arithmetic, without a scan.

Kinds, by share of licensed users: never logged in, service (bot) accounts active minutes
ago (svc-*) or dormant for months (bot-*), user names that are e-mail addresses, the rest
regular, some licensed only through a group. Regular users' last activity: 55 % within 30
days (and they keep coming back: their last activity moves with the clock), 15 % 30-90 days,
10 % 90-180 days, 20 % up to 3 years (those dates are fixed at `epoch`, so they age with the
clock).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

DAY = 86400.0
BLOCK = 100
_FIRST = ("anna", "ben", "chen", "dara", "emil", "fatima", "gus", "hana", "ivan", "jo", "kai")
_LAST = ("smith", "garcia", "muller", "rossi", "tanaka", "okafor", "novak", "silva", "kim")
# (kind, share of licensed users in per mille); the rest is "regular".
_KINDS = (("never", 30), ("service", 20), ("email", 10))
# Regular users: (share in per mille, lowest age, highest age in days, moves with the clock).
_AGES = ((550, 0, 30, True), (150, 30, 90, False), (100, 90, 180, False), (200, 180, 1095, False))


@dataclass(frozen=True)
class SimUser:
    index: int
    name: str
    display_name: str
    email: str
    kind: str  # regular, never, service, email, unlicensed, deactivated
    last_active: float | None  # epoch seconds; None = never logged in
    licensed: bool  # holds a seat
    active: bool  # False = deactivated
    via_group: bool  # licensed only through a group membership


@dataclass(frozen=True)
class SimUsers:
    """`count` users of one product; `epoch` anchors the fixed last-activity dates."""

    count: int
    seed: int = 0
    epoch: float = 1_767_225_600.0  # 2026-01-01
    unlicensed_per_block: int = 10
    deactivated_per_block: int = 4

    @property
    def licensed_per_block(self) -> int:
        return BLOCK - self.unlicensed_per_block - self.deactivated_per_block

    @property
    def licensed_count(self) -> int:
        full, rest = divmod(self.count, BLOCK)
        return full * self.licensed_per_block + min(rest, self.licensed_per_block)

    def licensed_index(self, j: int) -> int:
        """Population index of the j-th licensed user."""
        block, offset = divmod(j, self.licensed_per_block)
        return block * BLOCK + offset

    def users(self, start: int, stop: int, now: float) -> Iterator[SimUser]:
        for i in range(max(0, start), min(stop, self.count)):
            yield self.user(i, now)

    def licensed(self, start: int, stop: int, now: float) -> Iterator[SimUser]:
        for j in range(max(0, start), min(stop, self.licensed_count)):
            yield self.user(self.licensed_index(j), now)

    def user(self, i: int, now: float) -> SimUser:
        if not 0 <= i < self.count:
            raise IndexError(i)
        digest = hashlib.blake2b(f"{self.seed}/{i}".encode(), digest_size=16).digest()
        r = [int.from_bytes(digest[k : k + 4], "big") / 2**32 for k in range(0, 16, 4)]
        first, last = _FIRST[int(r[0] * len(_FIRST))], _LAST[int(r[1] * len(_LAST))]
        name = f"{first[0]}{last}{i}"
        email = f"{first}.{last}{i}@example.com"
        offset = i % BLOCK
        if offset >= self.licensed_per_block:
            deactivated = offset >= BLOCK - self.deactivated_per_block
            kind = "deactivated" if deactivated else "unlicensed"
            last_seen = self.epoch - (30 + r[2] * 700) * DAY
            return SimUser(
                i, name, f"{first} {last}", email, kind, last_seen, False, not deactivated, False
            )
        kind, pick = "regular", int(r[2] * 1000)
        for candidate, share in _KINDS:
            if pick < share:
                kind = candidate
                break
            pick -= share
        if kind == "email":
            name = email  # directories that log in by e-mail address
        last_active: float | None = None
        if kind == "service" and r[3] < 0.5:
            name = f"svc-{last}-{i}"
            last_active = now - r[3] * 3600
        elif kind == "service":
            # Dormant bots and break-glass accounts: idle for months, never to be reclaimed
            # (reclaim.exclude_users leaves them out of the reclaim counts).
            name = f"bot-{last}-{i}"
            last_active = epoch_age(self.epoch, 100 + r[3] * 200)
        elif kind != "never":
            last_active = _regular(r[3], now, self.epoch)
        return SimUser(
            i, name, f"{first} {last}", email, kind, last_active, True, True, r[1] * 4 % 1 < 0.25
        )


def epoch_age(epoch: float, days: float) -> float:
    return epoch - days * DAY


def _regular(r: float, now: float, epoch: float) -> float:
    pick = int(r * 1000)
    for share, low, high, moving in _AGES:
        if pick < share:
            # Spread evenly inside the band, from the same random number.
            age = (low + (high - low) * pick / share) * DAY
            return (now if moving else epoch) - age
        pick -= share
    raise AssertionError("age bands add up to 1000")
