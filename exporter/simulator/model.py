"""Data model of the simulator: instances, license products, seat motion, faults, request log."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from exporter.simulator.users import SimUsers

InstanceType = Literal["jira", "confluence", "bitbucket", "crowd", "jira-cloud"]
AuthOutcome = Literal["admin", "user", "anonymous", "invalid"]

DAY = 86400.0
DEFAULT_VERSIONS: dict[str, str] = {
    "jira": "9.12.7",
    "confluence": "8.5.9",
    "bitbucket": "9.6.0",
    "crowd": "6.0.2",
    "jira-cloud": "1001.0.0-SNAPSHOT",
}
# /status states and the HTTP status Jira documents for each (KB "status endpoint response").
STATUS_CODES: dict[str, int] = {
    "RUNNING": 200,
    "STARTING": 200,
    "STOPPING": 200,
    "FIRST_RUN": 200,
    "MAINTENANCE": 503,
    "ERROR": 500,
}
FAULT_KINDS = frozenset(
    {
        "slow",
        "drip",
        "reset",
        "status",
        "unauthorized",
        "forbidden",
        "html",
        "malformed_json",
        "wrong_shape",
        "huge",
        "old_version",
    }
)
WRONG_SHAPE_VARIANTS = frozenset({"missing", "strings", "negative", "huge_numbers", "wrong_type"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]*")


@dataclass
class SimProduct:
    """One licensed application; dates are epoch seconds (rendered as epoch ms on the wire)."""

    key: str
    limit: int | None  # None = unlimited
    base_used: int
    amplitude: float = 0.0
    period_seconds: float = 3600.0
    trend_per_day: float = 0.0
    phase: float = 0.0  # radians, so generated instances do not all peak together
    expiry: float | None = None  # None = perpetual: no expiryDate in the body
    maintenance_expiry: float | None = None
    grace_period_end: float | None = None
    created: float = 1704067200.0  # 2024-01-01
    license_type: str = "COMMERCIAL"
    evaluation: bool = False
    data_center: bool = True
    subscription: bool = True
    organization: str = "Example Corp"
    sen: str = "SEN-10000001"
    name: str = ""  # display name; jira.py derives one from the key when empty
    plan: str = "PAID"  # Jira Cloud: UNLICENSED, FREE or PAID
    crowd_app: int = 0  # Crowd: the id of the Crowd-known application this product belongs to
    # Licensed users with last activity (Bitbucket, Confluence 9.3+, Crowd); independent of
    # the seat counter above, except on Crowd, whose totals come from the same list.
    users: SimUsers | None = None

    def used_at(self, elapsed: float) -> int:
        """Seats in use `elapsed` seconds after the simulator started, clamped to [0, limit]."""
        raw = self.base_used + self.trend_per_day * elapsed / DAY
        if self.amplitude and self.period_seconds > 0:
            angle = 2 * math.pi * elapsed / self.period_seconds + self.phase
            raw += self.amplitude * math.sin(angle)
        used = max(0, math.floor(raw + 0.5))
        return used if self.limit is None else min(used, self.limit)


@dataclass(frozen=True)
class CrowdApp:
    """An application Crowd knows (reference §4): its products carry `crowd_app=id`."""

    id: int
    type: Literal["jira", "confluence", "bitbucket"]
    name: str  # what an exporter would call it; also the Crowd application name
    # Crowd pulls the application's usage every sync_interval; data_age makes it lag further
    # (a broken application link), so the summary timestamp is visibly old.
    sync_interval: float = 3600.0
    data_age: float = 0.0
    # ApplicationLicensingStatus: PRESENT, LOADING or NOT_CONFIGURED (any other string is served
    # as it is, for exporters' handling of values Crowd may add).
    status: str = "PRESENT"
    # (id, name, isLocalCrowd) of the directories its licensed users come from; users are dealt
    # round-robin. The default is the REST docs' /directories example.
    directories: tuple[tuple[str, str, bool], ...] = (
        ("743", "Crowd users directory", True),
        ("9714", "My awesome directory", False),
    )
    # Crowd's data version moves on by one after each of these numbers of licensed-user searches
    # (counted in the request log): a snapshot that changes under a user scan.
    version_moves_after_searches: tuple[int, ...] = ()


@dataclass
class SimInstance:
    """One simulated application, served under `/{name}` on the simulator's port."""

    name: str
    type: InstanceType
    products: list[SimProduct]
    username: str = "admin"
    password: str = "admin"
    token: str | None = None
    version: str = ""  # empty = DEFAULT_VERSIONS[type]
    viewer_username: str | None = "viewer"  # authenticates, but is not an administrator
    viewer_password: str = "viewer"
    viewer_token: str | None = None
    # Older Bitbucket answers 401 instead of 403 to non-admins on admin resources.
    non_admin_status: int = 403
    # The reference cannot confirm maintenanceExpiryDate in Jira's UPM body, so it varies.
    upm_maintenance_expiry: bool = True
    state: str = "RUNNING"
    server_id: str = ""
    crowd_apps: list[CrowdApp] = field(default_factory=list)
    page_cap: int = 0  # largest page a list endpoint serves; 0 = the product's default

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"invalid instance name {self.name!r}")
        if self.type not in get_args(InstanceType):
            raise ValueError(f"unknown instance type {self.type!r}")
        if not self.products:
            raise ValueError(f"instance {self.name!r} has no products")
        keys = [self.address(p) for p in self.products]
        if len(set(keys)) != len(keys):
            raise ValueError(f"instance {self.name!r} has duplicate product keys")
        if self.state not in STATUS_CODES:
            raise ValueError(f"unknown state {self.state!r}")
        apps = {a.id for a in self.crowd_apps}
        if (self.type == "crowd") != bool(apps) or any(
            p.crowd_app not in apps for p in self.products if self.type == "crowd"
        ):
            raise ValueError(f"instance {self.name!r}: crowd products need their crowd_apps")
        self.version = self.version or DEFAULT_VERSIONS[self.type]
        if not self.server_id:
            # Bitbucket server IDs look like BXXX-XXXX-XXXX-XXXX; derive a stable one.
            h = hashlib.sha1(self.name.encode()).hexdigest().upper()
            self.server_id = f"B{h[:3]}-{h[3:7]}-{h[7:11]}-{h[11:15]}"

    def address(self, product: SimProduct) -> str:
        """How control calls name a product: its key, or `{app id}/{key}` on Crowd."""
        return f"{product.crowd_app}/{product.key}" if self.type == "crowd" else product.key

    def product(self, key: str) -> SimProduct | None:
        return next((p for p in self.products if self.address(p) == key), None)

    def crowd_app(self, ident: int) -> CrowdApp | None:
        return next((a for a in self.crowd_apps if a.id == ident), None)

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        """'9.12.7' -> (9, 12, 7); missing parts count as 0."""
        parts = [int(p) for p in re.findall(r"\d+", self.version)[:3]] + [0, 0, 0]
        return parts[0], parts[1], parts[2]


@dataclass
class Fault:
    """A misbehaviour of one instance, on paths containing `path` (None = see faults.applies).

    slow            wait `seconds` before the status line and headers
    drip            headers at once (full Content-Length), then one body byte every `seconds`
    reset           headers and half the body, wait `seconds`, then a TCP reset
    status          `status` with the product's error body; `retry_after` sets Retry-After;
                    429 adds X-RateLimit-*; 503 is an HTML maintenance page unless
                    variant="json"; /status answers 503/500 with MAINTENANCE/ERROR
    unauthorized    401 in the product's shape; `captcha` adds the CAPTCHA lockout headers
    forbidden       403 in the product's shape
    html            200 text/html login page (expired session)
    malformed_json  200 JSON content type, the real body cut in half
    wrong_shape     200 valid JSON, `variant`: missing (default; numbers dropped), strings,
                    negative, huge_numbers (10**30), wrong_type (array <-> object)
    huge            200 the real JSON padded with whitespace to `size` bytes (default 10 MiB)
    old_version     404 on the optional endpoints (Jira UPM license, Confluence details)
    """

    kind: str
    path: str | None = None
    seconds: float = 0.0
    status: int = 0
    retry_after: str | None = None
    captcha: bool = False
    variant: str = ""
    size: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(FAULT_KINDS)}")
        if self.seconds < 0 or self.size < 0:
            raise ValueError("seconds and size must not be negative")
        if self.kind == "status" and not 100 <= self.status <= 599:
            raise ValueError("a status fault needs status=100..599")
        if self.kind == "wrong_shape" and self.variant not in WRONG_SHAPE_VARIANTS | {""}:
            raise ValueError(f"unknown wrong_shape variant; one of {sorted(WRONG_SHAPE_VARIANTS)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        """Build from JSON-ish fields, rejecting unknown names and mistyped values."""
        types = {"kind": str, "path": str, "seconds": float, "status": int}
        types |= {"retry_after": str, "captcha": bool, "variant": str, "size": int}
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        for key, value in data.items():
            want = types[key]
            ok = isinstance(value, want) and not (want is not bool and isinstance(value, bool))
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if value is None and key in ("path", "retry_after"):
                ok = True
            if not ok:
                raise ValueError(f"fault field {key!r} must be {want.__name__}")
        return cls(**data)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # inside the instance, without the query string: "/rest/api/2/applicationrole"
    status: int  # status line sent (reset/drip: sent before the body broke off)
    auth: AuthOutcome
    at: float  # simulator clock
    query: str = ""


@dataclass
class InstanceState:
    """The mutable side of an instance: fault, pinned seats, request log."""

    instance: SimInstance
    fault: Fault | None = None
    pins: dict[str, int] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)

    def used(self, product: SimProduct, elapsed: float) -> int:
        pinned = self.pins.get(self.instance.address(product))
        return pinned if pinned is not None else product.used_at(elapsed)
