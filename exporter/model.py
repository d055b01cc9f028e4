"""What a source returns: typed, frozen license values; and how a source fails."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
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

    @property
    def unlimited(self) -> bool:
        return self.seats_limit is None


@dataclass(frozen=True)
class Snapshot:
    products: tuple[ProductLicense, ...]


class SourceError(Exception):
    """A failed sync: a fixed `reason` for the metric label and a message for the log.

    The message names the URL path but never the query string, credentials or a body.
    """

    def __init__(
        self, reason: str, path: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{path}: {message}")
        self.reason = reason
        self.path = path
        self.message = message
        self.retry_after = retry_after
