"""Turns the poller's snapshots into fresh metric families on every scrape."""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter import __version__
from exporter import metrics as m
from exporter.config.planner import price_from, tier_above
from exporter.config.targets import Target
from exporter.sources.model import MarketplaceApp, ProductLicense, Snapshot
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


@dataclass(frozen=True, slots=True)
class Batch:
    """Families holding the samples of several applications, one after the other.

    `positions` are the families' positions in the exposition, in the order the families were
    first used; `counts[i][j]` is how many samples family j held once application i had added
    its own (a family first used later is missing from earlier counts)."""

    placed: list[Placed]
    positions: list[int]
    counts: list[list[int]]


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
        sunset: Callable[[], Sequence[tuple[str, float]]] | None = None,
    ) -> None:
        self._states = states
        self._clock = clock or SystemClock()
        self._reload_status = reload_status
        self._sunset = sunset

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

    def batch_families(self, members: Sequence[tuple[str, AppState]], now: float) -> Batch:
        """Several applications' samples in one set of families, in the order of `members`,
        with what tells each one's samples apart (see Batch)."""
        families = _OnDemand()
        counts = []
        for name, state in members:
            self.add_application(families, name, state, now)
            counts.append([len(family.samples) for family in families.values()])
        return Batch(_placed(families), [_POSITION[spec] for spec in families], counts)

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
        sync, users, apps = state.sync, state.users, state.apps
        scan = (
            ()
            if users is None
            else (
                users.interval,
                users.up,
                users.last_success,
                users.last_duration,
                users.fresh(now),
            )
        )
        # One flat tuple, kept per application and format (nested ones were 1.2 MiB more at
        # 10,000); the length of the scan's part makes the layout unambiguous.
        return (
            # Tiers, prices and owner labels are part of the samples; reload replaces targets.
            state.target,
            sync.fresh(now),
            sync.interval,
            sync.up,
            sync.last_success,
            sync.last_duration,
            tuple(sorted(state.failures.items())),
            len(scan),
            *scan,
            *(() if apps is None else (apps.up, apps.last_success, apps.fresh(now))),
        )

    def add_application(self, families: Families, name: str, state: AppState, now: float) -> None:
        owner = dict(state.target.labels)
        # With owner labels, the samples are made with the contract's labels first and then
        # copied with the owner's added: prometheus_client's add_metric takes fixed labels only.
        into = _OnDemand() if owner else families
        snapshot = state.sync.fresh(now)
        if snapshot is not None:
            for product in snapshot.products:
                self._add_license(into, name, product)
                self._add_planner(into, name, state.target, product)
            self._add_crowd(into, name, snapshot)
        self._add_sync(into, name, state)
        self._add_users(into, name, state, now)
        self._add_apps(into, name, state, now)
        if owner:
            for spec, family in into.items():
                samples = families[spec].samples
                for sample in family.samples:
                    samples.append(sample._replace(labels={**sample.labels, **owner}))

    def add_exporter(self, families: Families) -> None:
        families[m.BUILD_INFO].add_metric([__version__, platform.python_version()], 1)
        if self._reload_status is not None:
            status = self._reload_status()
            families[m.CONFIG_RELOAD_SUCCESSFUL].add_metric([], 1 if status.successful else 0)
            families[m.CONFIG_RELOAD_SUCCESS_TIMESTAMP].add_metric([], status.last_success)
        if self._sunset is not None:
            for milestone, timestamp in self._sunset():
                families[m.DC_SUNSET].add_metric([milestone], timestamp)

    @staticmethod
    def _add_planner(
        families: Families, application: str, target: Target, p: ProductLicense
    ) -> None:
        labels = [application, p.product]
        for group, members in p.groups:
            families[m.GROUP_MEMBERS].add_metric([*labels, group], members)
        if p.seats_limit is None:  # unlimited: no tier to grow into, nothing priced
            return
        following = tier_above(target.tiers, p.seats_limit)
        if following is not None:
            families[m.TIER_NEXT_SEATS].add_metric(labels, following)
        cost = target.cost
        if cost is None:
            return
        for spec, seats in ((m.ANNUAL_COST, p.seats_limit), (m.NEXT_TIER_ANNUAL_COST, following)):
            price = None if seats is None else price_from(cost.annual, seats)
            if price is not None:
                families[spec].add_metric([*labels, cost.currency], price)

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
        families[m.APPLICATION_INFO].add_metric([application, state.target.type], 1)
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
            families[m.USERS_EXCLUDED].add_metric(labels, p.excluded)
            for period, count in p.inactive:
                families[m.INACTIVE_USERS].add_metric([*labels, period], count)
            for user, last_active in p.detail:
                families[m.USER_LAST_ACTIVE].add_metric([*labels, user], last_active)

    @staticmethod
    def _add_apps(families: Families, application: str, state: AppState, now: float) -> None:
        apps = state.apps
        if apps is None:  # no UPM on this type, or the apps sync is off
            return
        if apps.up is not None:
            families[m.APPS_SYNC_UP].add_metric([application], 1 if apps.up else 0)
        if apps.last_success is not None:
            families[m.APPS_SYNC_LAST_SUCCESS].add_metric([application], apps.last_success.wall)
        snapshot = apps.fresh(now)
        for app in snapshot.apps if snapshot is not None else ():
            _add_app(families, application, app)


def _add_app(families: Families, application: str, app: MarketplaceApp) -> None:
    labels, lic = [application, app.key], app.license
    license_type = "none" if lic is None else lic.license_type
    families[m.APP_INFO].add_metric(
        [*labels, app.name, app.version, license_type, str(app.enabled).lower()], 1
    )
    if lic is None:  # a free app: listed, with no license series
        return
    families[m.APP_VALID].add_metric(labels, 1 if lic.valid else 0)
    families[m.APP_EVALUATION].add_metric(labels, 1 if lic.evaluation else 0)
    for spec, value in (
        (m.APP_EXPIRY, lic.expiry),
        (m.APP_MAINTENANCE_EXPIRY, lic.maintenance_expiry),
        (m.APP_SEATS_LIMIT, lic.seats_limit),
    ):
        if value is not None:
            families[spec].add_metric(labels, value)
    if lic.error is not None:
        families[m.APP_ERROR].add_metric([*labels, lic.error], 1)
