"""What a source returns: typed, frozen license values (slotted: thousands of applications each
hold a few, issue #15); and how a source fails."""

from __future__ import annotations

from dataclasses import dataclass

from exporter.metrics import Reason


@dataclass(frozen=True, slots=True)
class ProductLicense:
    """One licensed product of an application (a Jira role, Confluence, Bitbucket)."""

    product: str
    seats_used: int
    # None means an unlimited-user license: there is no limit and nothing remains to count.
    seats_limit: int | None
    seats_remaining: int | None
    expiry: float | None = None  # Unix seconds
    maintenance_expiry: float | None = None
    grace_period_end: float | None = None
    license_type: str | None = None
    evaluation: bool | None = None
    data_center: bool | None = None
    plan: str | None = None  # Jira Cloud: UNLICENSED, FREE or PAID
    seats_used_approximate: int | None = None  # Jira Cloud's 7-day cached count
    data_timestamp: float | None = None  # Crowd: when Crowd itself pulled the numbers
    # (group name, active members): the groups granting the product (Jira, Jira Cloud).
    groups: tuple[tuple[str, int], ...] = ()
    # False: the upstream documents no limit at all (Atlassian Cloud organizations), so a
    # missing seats_limit means "not reported", never "unlimited".
    limit_reported: bool = True

    @property
    def unlimited(self) -> bool:
        return self.seats_limit is None and self.limit_reported


# Crowd's ApplicationLicensingStatus values; anything else is kept as "other".
CROWD_STATUSES = ("NOT_CONFIGURED", "LOADING", "PRESENT")


@dataclass(frozen=True, slots=True)
class CrowdData:
    """What Crowd says about its own copy of one product's license usage."""

    product: str
    status: str | None  # one of CROWD_STATUSES or "other"; None when Crowd does not say
    version: int | None = None  # the data set the numbers (and a user scan) come from


@dataclass(frozen=True, slots=True)
class Snapshot:
    # A product Crowd has no data for (NOT_CONFIGURED, LOADING) is in `crowd` only.
    products: tuple[ProductLicense, ...]
    crowd: tuple[CrowdData, ...] = ()
    crowd_directories: int | None = None  # Crowd's numberOfDirectories of the application


@dataclass(frozen=True, slots=True)
class ProductUsers:
    """What a user scan found for one product: counts by inactivity, and capped detail."""

    product: str
    licensed: int  # licensed users scanned
    never_active: int
    # (period label as configured, e.g. "90d", users inactive longer), in configured order.
    inactive: tuple[tuple[str, int], ...]
    # (user name, last activity in Unix seconds or 0.0 for never): opt-in, capped, oldest first.
    detail: tuple[tuple[str, float], ...] = ()
    # Records the scan could not use at all (not an object, an unreadable activity date, no
    # name where a join needs one): left out of every count above, and the scan succeeds.
    skipped: int = 0
    # Crowd: (directory name, licensed users) in Crowd's directory order, read by the scan from
    # the same data version as the users.
    by_directory: tuple[tuple[str, int], ...] = ()
    # Licensed users matched by reclaim.exclude_users: in `licensed`, in nothing else.
    excluded: int = 0


@dataclass(frozen=True, slots=True)
class UsersSnapshot:
    products: tuple[ProductUsers, ...]


class SourceError(Exception):
    """A failed sync: a fixed `reason` for the metric label and a message for the log.

    The message names the URL path but never the query string, credentials or a body.
    """

    def __init__(
        self, reason: Reason, path: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{path}: {message}")
        self.reason = reason
        self.path = path
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class AppLicense:
    """A Marketplace app's license as UPM reports it. Deliberately without the raw license,
    the contact e-mail and the SEN: what is never kept cannot leak."""

    license_type: str  # upper-case, as UPM sends it
    valid: bool
    evaluation: bool
    # None: an unlimited license (negative or null maximumNumberOfUsers).
    seats_limit: int | None
    expiry: float | None = None  # Unix seconds
    maintenance_expiry: float | None = None
    error: str | None = None  # UPM's LicenseError, e.g. USER_MISMATCH, EXPIRED
    nearly_expired: bool | None = None
    data_center: bool | None = None
    subscription: bool | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class MarketplaceApp:
    """One user-installed app (system plugins are not listed); `license` None: a free app."""

    key: str
    name: str
    version: str
    enabled: bool
    license: AppLicense | None


@dataclass(frozen=True, slots=True)
class AppsSnapshot:
    apps: tuple[MarketplaceApp, ...]
