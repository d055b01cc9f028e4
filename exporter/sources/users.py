"""Counting licensed users by last activity as they stream past, page by page.

A scan never holds the user list: each user updates a few counters and, when per-user detail is
on, a heap capped at `max_users` entries. Memory is O(periods + max_users), whatever the count.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass, field
from typing import Any

from exporter.config.users import ScanSettings
from exporter.sources import parse
from exporter.sources.model import ProductUsers, SourceError, UsersSnapshot
from exporter.sources.parse import clean

log = logging.getLogger(__name__)


def exportable_name(name: str) -> bool:
    """A user name that may become a label value: never one that looks like an e-mail address.

    Directories that use e-mail addresses as user names exist (Crowd, Cloud-style logins);
    such users still count, they just get no per-user series.
    """
    return bool(name) and "@" not in name


@dataclass(order=False)
class _Kept:
    """Heap entry; the heap's top is the most recently active user kept, evicted first."""

    last_active: float
    name: str
    product: str

    def __lt__(self, other: _Kept) -> bool:
        return (self.last_active, self.name) > (other.last_active, other.name)


def _older(a: _Kept, b: _Kept) -> bool:
    return (a.last_active, a.name) < (b.last_active, b.name)


@dataclass
class _Counts:
    licensed: int = 0
    never: int = 0
    inactive: list[int] = field(default_factory=list)
    skipped: int = 0
    by_directory: tuple[tuple[str, int], ...] = ()


class UserScan:
    """One scan of one application: `add` each licensed user once, then `result()`."""

    def __init__(self, settings: ScanSettings, now: float, application: str = "-") -> None:
        self._settings = settings
        self._application = application  # for the log line of a skipped record
        self._cutoffs = [now - seconds for _, seconds in settings.periods]
        self._detail_cutoff = None if settings.detail_after is None else now - settings.detail_after
        self._counts: dict[str, _Counts] = {}
        self._kept: list[_Kept] = []

    def product(self, product: str) -> _Counts:
        """Declare a product, so that it reports zeros even when it has no licensed user."""
        counts = self._counts.get(product)
        if counts is None:
            counts = self._counts[product] = _Counts(inactive=[0] * len(self._cutoffs))
        return counts

    def add(self, product: str, name: str, last_active: float | None) -> None:
        """One licensed user; `last_active` in Unix seconds, None if never active."""
        counts = self.product(product)
        counts.licensed += 1
        if last_active is None:
            counts.never += 1
        for index, period_cutoff in enumerate(self._cutoffs):
            if last_active is None or last_active < period_cutoff:
                counts.inactive[index] += 1
        cutoff = self._detail_cutoff
        if cutoff is None or (last_active is not None and last_active >= cutoff):
            return
        if not exportable_name(name):
            return
        # A user name becomes a label value: whatever the source, it must encode.
        entry = _Kept(0.0 if last_active is None else last_active, clean(name), product)
        if len(self._kept) < self._settings.detail_max:
            heapq.heappush(self._kept, entry)
        elif self._kept and _older(entry, self._kept[0]):
            heapq.heapreplace(self._kept, entry)

    def directories(self, product: str, counts: tuple[tuple[str, int], ...]) -> None:
        """Licensed users per user directory, as the upstream counts them (Crowd)."""
        self.product(product).by_directory = counts

    def skip(self, product: str, path: str, why: str) -> None:
        """A record the count cannot use: counted apart, logged once per scan and product."""
        counts = self.product(product)
        if counts.skipped == 0:
            log.info(
                "user record skipped application=%s product=%s url_path=%s reason=%r",
                self._application,
                product,
                path,
                why,
            )
        counts.skipped += 1

    def add_record(
        self, product: str, record: Any, path: str, name_field: str, activity: tuple[str, ...]
    ) -> None:
        """One user record of a listing that needs no join. A missing name only costs the
        per-user detail; the first of the `activity` fields present is the last activity, none
        means never active; a record that is not an object or whose date cannot be read is
        skipped."""
        if not isinstance(record, dict):
            self.skip(product, path, f"not a JSON object: {type(record).__name__}")
            return
        field_name = next((f for f in activity if f in record), activity[0])
        try:
            when = parse.instant(record, field_name, path)
        except SourceError as exc:
            self.skip(product, path, exc.message)
            return
        name = record.get(name_field)
        self.add(product, name if isinstance(name, str) else "", when)

    def result(self) -> UsersSnapshot:
        labels = [label for label, _ in self._settings.periods]
        detail = sorted(self._kept, key=lambda k: (k.last_active, k.name))
        return UsersSnapshot(
            tuple(
                ProductUsers(
                    product=product,
                    licensed=counts.licensed,
                    never_active=counts.never,
                    inactive=tuple(zip(labels, counts.inactive, strict=True)),
                    detail=tuple((k.name, k.last_active) for k in detail if k.product == product),
                    skipped=counts.skipped,
                    by_directory=counts.by_directory,
                )
                for product, counts in self._counts.items()
            )
        )
