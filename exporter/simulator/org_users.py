"""A simulated organization's managed accounts: deterministic from a seed and the clock, and
generated lazily, so serving page 900 of 100,000 accounts costs one page of work.

Each account may have each product of each site (a product's `share` is the chance). Kinds:
about 6 % suspended (`account_status` inactive), 1 % closed, 10 % not billable; 5 % of an
account's products were never used (no `last_active` for the product). Product activity
follows the same bands as the Data Center user lists (exporter.simulator.users).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from exporter.simulator.users import DAY, _regular

_FIRST = ("anna", "ben", "chen", "dara", "emil", "fatima", "gus", "hana", "ivan", "jo", "kai")
_LAST = ("smith", "garcia", "muller", "rossi", "tanaka", "okafor", "novak", "silva", "kim")


@dataclass(frozen=True)
class OrgProduct:
    site: str  # host, as product_access names it: acme.atlassian.net
    key: str  # Atlassian's product key: jira-software, confluence, ...
    share: float = 1.0  # chance that an account has this product


@dataclass(frozen=True)
class OrgAccess:
    product: OrgProduct
    last_active: float | None  # None: never used the product


@dataclass(frozen=True)
class OrgUser:
    index: int
    account_id: str
    name: str
    email: str
    status: str  # active, inactive (suspended), closed
    billable: bool
    access: tuple[OrgAccess, ...]

    @property
    def last_active(self) -> float | None:
        seen = [a.last_active for a in self.access if a.last_active is not None]
        return max(seen, default=None)

    def body(self) -> dict[str, Any]:
        """The managed-account entity of GET /admin/v1/orgs/{orgId}/users."""
        data: dict[str, Any] = {
            "account_id": self.account_id,
            "account_type": "atlassian",
            "account_status": self.status,
            "name": self.name,
            "picture": f"https://avatar.example/{self.account_id}",
            "email": self.email,
            "access_billable": self.billable,
            "product_access": [_access(a) for a in self.access],
            "links": {"self": f"/users/{self.account_id}"},
        }
        if self.last_active is not None:
            data["last_active"] = iso(self.last_active)
        return data


def iso(seconds: float) -> str:
    """RFC 3339 in UTC with milliseconds, as the API writes dates: 2025-12-03T13:10:59.759Z."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def _access(access: OrgAccess) -> dict[str, Any]:
    product = access.product
    entry: dict[str, Any] = {"key": product.key, "name": product.key, "url": product.site}
    if access.last_active is not None:
        entry["last_active"] = iso(access.last_active)
    return entry


@dataclass(frozen=True)
class OrgUsers:
    count: int
    products: tuple[OrgProduct, ...]
    seed: int = 0
    epoch: float = 1_767_225_600.0  # 2026-01-01: fixed activity dates age from here

    def users(self, start: int, stop: int, now: float) -> list[OrgUser]:
        return [self.user(i, now) for i in range(max(0, start), min(stop, self.count))]

    def user(self, i: int, now: float) -> OrgUser:
        digest = hashlib.blake2b(f"org/{self.seed}/{i}".encode(), digest_size=32).digest()
        r = [int.from_bytes(digest[k : k + 2], "big") / 2**16 for k in range(0, 32, 2)]
        first, last = _FIRST[int(r[0] * len(_FIRST))], _LAST[int(r[1] * len(_LAST))]
        status = "closed" if r[2] < 0.01 else "inactive" if r[2] < 0.07 else "active"
        access = []
        for n, product in enumerate(self.products):
            pick = hashlib.blake2b(f"{self.seed}/{i}/{n}".encode(), digest_size=8).digest()
            p = [int.from_bytes(pick[k : k + 2], "big") / 2**16 for k in range(0, 8, 2)]
            if p[0] >= product.share:
                continue
            seen = None if p[1] < 0.05 else _regular(p[2], now, self.epoch)
            access.append(OrgAccess(product, seen))
        return OrgUser(
            i,
            f"712020:{digest.hex()[:8]}-{digest.hex()[8:12]}-{i:012d}",
            f"{first.title()} {last.title()}",
            f"{first}.{last}{i}@example.com",
            status,
            r[3] >= 0.10,
            tuple(access),
        )


__all__ = ["DAY", "OrgAccess", "OrgProduct", "OrgUser", "OrgUsers"]
