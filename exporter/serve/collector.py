"""Turns the poller's snapshots into fresh metric families on every scrape."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter import __version__
from exporter import metrics as m
from exporter.sources.model import ProductLicense, Snapshot
from exporter.sync.clock import Clock, SystemClock
from exporter.sync.poller import AppState


@dataclass(frozen=True)
class ReloadStatus:
    successful: bool
    last_success: float


Family = GaugeMetricFamily | CounterMetricFamily
Families = dict[m.MetricSpec, Family]


def _family(spec: m.MetricSpec) -> Family:
    if spec.type == "counter":
        return CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    return GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)


def new_families() -> Families:
    """Every family, empty, in ALL_METRICS order: the order of the exposition."""
    return {spec: _family(spec) for spec in m.ALL_METRICS}


class _OnDemand(Families):
    """Families made when first used: an application has samples in about half of them."""

    def __missing__(self, spec: m.MetricSpec) -> Family:
        family = self[spec] = _family(spec)
        return family


_POSITION = {spec: i for i, spec in enumerate(m.ALL_METRICS)}
# A family with its position in ALL_METRICS, i.e. in the exposition.
Placed = tuple[int, Metric]


def _placed(families: Families) -> list[Placed]:
    return sorted((_POSITION[spec], family) for spec, family in families.items() if family.samples)


def _flag(value: bool | None) -> str:
    return "unknown" if value is None else str(value).lower()


class LicenseCollector(Collector):
    """Collects from the latest snapshots; nothing here waits on an upstream. E.g.:

    # HELP atlassian_license_seats_used Users consuming a license seat. Cached from ...
    # TYPE atlassian_license_seats_used gauge
    atlassian_license_seats_used{application="jira-prod",product="jira-software"} 431.0
    """

    def __init__(
        self,
        states: Callable[[], Mapping[str, AppState]],
        clock: Clock | None = None,
        reload_status: Callable[[], ReloadStatus] | None = None,
    ) -> None:
        self._states = states
        self._clock = clock or SystemClock()
        self._reload_status = reload_status

    def now(self) -> float:
        """Monotonic: what decides whether data is stale."""
        return self._clock.monotonic()

    def collect(self) -> Iterator[Metric]:
        now = self.now()
        families = new_families()
        for name, state in sorted(self._states().items()):
            self.add_application(families, name, state, now)
        self.add_exporter(families)
        yield from families.values()

    def states(self) -> Mapping[str, AppState]:
        return self._states()

    def application_families(self, name: str, state: AppState, now: float) -> list[Placed]:
        """One application's samples: the families it has samples in, placed."""
        families = _OnDemand()
        self.add_application(families, name, state, now)
        return _placed(families)

    def sync_families(self, name: str, state: AppState) -> list[Placed]:
        """One application's sync samples alone: what is left when its other samples cannot
        be rendered."""
        families = _OnDemand()
        self._add_sync(families, name, state)
        return _placed(families)

    def exporter_families(self) -> list[Placed]:
        """The exporter's own samples: the families it has samples in, placed."""
        families = _OnDemand()
        self.add_exporter(families)
        return _placed(families)

    @staticmethod
    def fingerprint(state: AppState, now: float) -> tuple[object, ...]:
        """Everything add_application reads from `state` at `now`: equal fingerprints, equal
        samples. Kept next to add_application so the two change together (the renderer's tests
        compare against a full render after changing each field)."""
        sync, users = state.sync, state.users
        return (
            sync.fresh(now),
            sync.interval,
            sync.up,
            sync.last_success,
            sync.last_duration,
            tuple(sorted(state.failures.items())),
            None
            if users is None
            else (
                users.interval,
                users.up,
                users.last_success,
                users.last_duration,
                users.fresh(now),
            ),
        )

    def add_application(self, families: Families, name: str, state: AppState, now: float) -> None:
        snapshot = state.sync.fresh(now)
        if snapshot is not None:
            for product in snapshot.products:
                self._add_license(families, name, product)
            self._add_crowd(families, name, snapshot)
        self._add_sync(families, name, state)
        self._add_users(families, name, state, now)

    def add_exporter(self, families: Families) -> None:
        families[m.BUILD_INFO].add_metric([__version__, platform.python_version()], 1)
        if self._reload_status is not None:
            status = self._reload_status()
            families[m.CONFIG_RELOAD_SUCCESSFUL].add_metric([], 1 if status.successful else 0)
            families[m.CONFIG_RELOAD_SUCCESS_TIMESTAMP].add_metric([], status.last_success)

    @staticmethod
    def _add_license(
        families: Families,
        application: str,
        p: ProductLicense,
    ) -> None:
        labels = [application, p.product]
        families[m.SEATS_USED].add_metric(labels, p.seats_used)
        families[m.SEATS_UNLIMITED].add_metric(labels, 1 if p.unlimited else 0)
        if p.seats_limit is not None:
            families[m.SEATS_LIMIT].add_metric(labels, p.seats_limit)
        if p.seats_remaining is not None:
            families[m.SEATS_REMAINING].add_metric(labels, p.seats_remaining)
        for spec, value in (
            (m.EXPIRY, p.expiry),
            (m.MAINTENANCE_EXPIRY, p.maintenance_expiry),
            (m.GRACE_PERIOD_END, p.grace_period_end),
            (m.SEATS_USED_APPROXIMATE, p.seats_used_approximate),
            (m.DATA_TIMESTAMP, p.data_timestamp),
        ):
            if value is not None:
                families[spec].add_metric(labels, value)
        families[m.INFO].add_metric(
            [
                *labels,
                p.license_type or "unknown",
                _flag(p.evaluation),
                _flag(p.data_center),
                p.plan or "unknown",
            ],
            1,
        )

    @staticmethod
    def _add_crowd(families: Families, application: str, snapshot: Snapshot) -> None:
        if snapshot.crowd_directories is not None:
            families[m.CROWD_DIRECTORIES].add_metric([application], snapshot.crowd_directories)
        for data in snapshot.crowd:
            if data.status is not None:
                for status in m.CROWD_STATUS_VALUES:
                    value = 1 if status == data.status else 0
                    families[m.CROWD_STATUS].add_metric([application, data.product, status], value)

    @staticmethod
    def _add_sync(
        families: Families,
        application: str,
        state: AppState,
    ) -> None:
        labels, sync = [application], state.sync
        families[m.SYNC_INTERVAL].add_metric(labels, sync.interval)
        if sync.up is not None:
            families[m.SYNC_UP].add_metric(labels, 1 if sync.up else 0)
        if sync.last_success is not None:
            families[m.SYNC_LAST_SUCCESS].add_metric(labels, sync.last_success.wall)
        if sync.last_duration is not None:
            families[m.SYNC_DURATION].add_metric(labels, sync.last_duration)
        for reason, count in sorted(state.failures.items()):
            families[m.SYNC_FAILURES].add_metric([application, reason], count)

    @staticmethod
    def _add_users(
        families: Families,
        application: str,
        state: AppState,
        now: float,
    ) -> None:
        users = state.users
        if users is None:  # a type without user scans
            return
        families[m.USERS_SYNC_INTERVAL].add_metric([application], users.interval)
        if users.up is not None:
            families[m.USERS_SYNC_UP].add_metric([application], 1 if users.up else 0)
        if users.last_success is not None:
            families[m.USERS_SYNC_LAST_SUCCESS].add_metric([application], users.last_success.wall)
        if users.last_duration is not None:
            families[m.USERS_SYNC_DURATION].add_metric([application], users.last_duration)
        snapshot = users.fresh(now)
        for p in snapshot.products if snapshot is not None else ():
            labels = [application, p.product]
            families[m.USERS_NEVER_ACTIVE].add_metric(labels, p.never_active)
            families[m.USERS_SKIPPED].add_metric(labels, p.skipped)
            for directory, count in p.by_directory:
                families[m.SEATS_USED_BY_DIRECTORY].add_metric([*labels, directory], count)
            for period, count in p.inactive:
                families[m.INACTIVE_USERS].add_metric([*labels, period], count)
            for user, last_active in p.detail:
                families[m.USER_LAST_ACTIVE].add_metric([*labels, user], last_active)
